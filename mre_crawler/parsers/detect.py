"""Tell which LiveRC page type a page is, and refuse pages that are not the expected type.

Two jobs:

- :func:`detect_page_type` names the page type, from the URL when it is a LiveRC URL, otherwise
  from the page itself (``<title>`` rules of FIELD-GUIDE §0, then structural markers such as
  ``table.race_result``).
- :func:`check_not_error_page` is the first thing every parser calls. It raises
  :class:`~mre_crawler.errors.WrongPageType` when the page is an HTTP error page, a bot check, an
  empty body, a LiveRC "no results" page, or a *different* LiveRC page type. When the expected
  marker is present it returns at once (one or two cheap lookups), so it costs next to nothing
  on good pages.

Why the bot check is not a plain search for "captcha": every saved LiveRC page loads
``//www.google.com/recaptcha/api.js`` for its login form (race-6304829.html and all the others),
so only challenge *titles* and challenge *widgets* count.
"""

from __future__ import annotations

import re

import lxml.etree
import lxml.html

from mre_crawler.errors import PageError, WrongPageType
from mre_crawler.parsers.base import html_tree
from mre_crawler.urls import PAGE_TYPES, BadURL, read_url

UNKNOWN = "unknown"

# --- title rules (FIELD-GUIDE §0): the parts of the title joined by " :: " --------------------
_TITLE_PART_TYPES: dict[str, str] = {
    "broadcast and results": "track_dashboard",
    "archived results": "track_events",
    "entry list": "entry_list",
}
_TITLE_PREFIX_TYPES: tuple[tuple[str, str], ...] = (
    ("practice sessions for ", "practice_month"),
    ("practice sessions on ", "practice_day_overview"),
    ("practice session for ", "practice_session"),
    ("qual points", "qual_points"),
)
_TITLE_PREFIXES = tuple(prefix for prefix, _ in _TITLE_PREFIX_TYPES)
_CATALOGUE_TITLE = "liverc :: watch live r/c car racing"

# --- structural markers: page type -> (tag, attribute, value) ----------------------------------
# An attribute "class" matches one class token; "id" matches exactly. Found with ``tree.iter(tag)``
# (C-level tag filtering, stops at the first hit), which is several times cheaper than an XPath
# over the whole document on a 600 kB catalogue page.
_MARKERS: dict[str, tuple[str, str, str]] = {
    "race_result": ("table", "class", "race_result"),
    "practice_day_overview": ("table", "class", "practice_session_list"),
    "qual_points": ("table", "class", "leaderboard_points"),
    # FIELD-GUIDE §11.3-11.5 (from code, no saved page); their parsers also accept pages by header text
    "heat_sheet": ("table", "class", "heat_sheet"),
    "round_ranking": ("table", "class", "round_ranking"),
    "overall_ranking": ("table", "class", "overall_ranking"),
    "multi_main": ("table", "class", "multi_main"),  # FIELD-GUIDE §11.2 (from code, no saved page)
    "practice_month": ("select", "id", "available_session_months"),
    "track_catalogue": ("table", "class", "track_list"),
    "track_events": ("table", "id", "events"),
    "event": ("table", "class", "entry_list_data"),
    "practice_session": ("div", "class", "laps_list"),
    "track_dashboard": ("div", "class", "dashboard_panels"),
}
# Order of structural detection: the most specific markers first. The entry list has no marker of
# its own beyond the title (its tables are plain tab panes, like the points page).
_MARKER_ORDER = (
    "race_result",
    "practice_day_overview",
    "heat_sheet",
    "round_ranking",
    "overall_ranking",  # before qual_points: generated overall tables also carry leaderboard_points
    "qual_points",
    "multi_main",
    "practice_month",
    "track_catalogue",
    "track_events",
    "practice_session",
    "track_dashboard",
    "event",
)


def find_marker(tree: lxml.etree._Element, page_type: str) -> lxml.etree._Element | None:
    """The first element that marks a ``page_type`` page (``table.race_result`` ...), or None."""
    marker = _MARKERS.get(page_type)
    if marker is None:
        return None
    tag, attribute, value = marker
    for el in tree.iter(tag):
        found = el.get(attribute)
        if found is not None and (value in found.split() if attribute == "class" else found == value):
            return el
    return None


# --- bot checks and error pages -----------------------------------------------------------------
_BOT_TITLE = re.compile(
    r"just a moment|attention required|checking your browser|please wait\.*\s*\|\s*cloudflare"
    r"|captcha|ddos-guard|access denied|are you a (human|robot)|security check|bot verification",
    re.IGNORECASE,
)
_BOT_WIDGETS = lxml.etree.XPath(
    "//*[@id='challenge-form' or @id='cf-challenge-running' or @id='challenge-running'"
    " or contains(@class, 'g-recaptcha') or contains(@class, 'h-captcha')"
    " or contains(@class, 'cf-turnstile') or contains(@class, 'cf-browser-verification')]"
)
_ERROR_TITLE = re.compile(
    r"^\s*(?:error\s*)?[45]\d\d\b|not found|internal server error|bad gateway|service unavailable"
    r"|gateway time-?out|forbidden|too many requests|server error|^\s*error\b|temporarily unavailable",
    re.IGNORECASE,
)
# LiveRC's own "nothing here" messages. Only consulted when the expected marker is missing,
# because a real practice month view carries "There are no practice sessions available for the
# given date." for another day (practice-month-canberraoffroad-2025-10.html, FIELD-GUIDE §8).
_NO_RESULTS = re.compile(
    r"no results|there are no|not available|does not exist|could not be found|no such|invalid (race|event|id)",
    re.IGNORECASE,
)


def _title(tree: lxml.html.HtmlElement) -> str:
    title = next(tree.iter("title"), None)  # .find(".//title") without ElementPath (the root is never a title)
    if title is None:
        return ""
    # A title holds only text (RCDATA; comments are removed): read it without itertext's iterator.
    text = "".join(title.itertext()) if len(title) else title.text
    return " ".join(text.split()) if text else ""


# Every match of _BOT_TITLE holds one of these, in lower case; an ASCII title lowers exactly as
# IGNORECASE folds it, so one holding none of them cannot match and the regex (~5-9 µs on a LiveRC
# title) is skipped. Any other title goes to the regex.
_BOT_WORDS = ("just a moment", "attention required", "checking your browser", "cloudflare", "captcha",
              "ddos-guard", "access denied", "are you a ", "security check", "bot verification")


def is_bot_title(title: str) -> bool:
    """``_BOT_TITLE.search(title)`` as a bool, the regex run only when the title could match."""
    if title.isascii():
        low = title.lower()
        for word in _BOT_WORDS:
            if word in low:
                break
        else:
            return False
    return _BOT_TITLE.search(title) is not None


def type_from_title(title: str) -> str | None:
    """The page type a LiveRC ``<title>`` names, or None when the title does not say."""
    return _type_from_lower(" ".join(title.split()).lower())


def _type_from_lower(low: str) -> str | None:
    """:func:`type_from_title` of a title already whitespace-collapsed and lower-cased."""
    if not low:
        return None
    if low.startswith(_CATALOGUE_TITLE):
        return "track_catalogue"
    for part in low.split("::"):
        part = part.strip()
        if part in _TITLE_PART_TYPES:
            return _TITLE_PART_TYPES[part]
        if part.startswith(_TITLE_PREFIXES):  # one C call; most parts start with none of them
            for prefix, page_type in _TITLE_PREFIX_TYPES:
                if part.startswith(prefix):
                    return page_type
    return None


def has_marker(tree: lxml.html.HtmlElement, page_type: str) -> bool:
    """Whether the page carries the structural marker of ``page_type`` (or its title says so)."""
    if type_from_title(_title(tree)) == page_type:
        return True
    return find_marker(tree, page_type) is not None


def classify(tree: lxml.html.HtmlElement) -> str | None:
    """The LiveRC page type of a parsed page, or None: title rules first, then structure."""
    by_title = type_from_title(_title(tree))
    if by_title is not None:
        return by_title
    for page_type in _MARKER_ORDER:
        if find_marker(tree, page_type) is not None:
            return page_type
    return None


def _visible_text(tree: lxml.html.HtmlElement, limit: int = 5000) -> str:
    body = tree.find(".//body")
    node = body if body is not None else tree
    parts: list[str] = []
    size = 0
    for text in node.itertext():
        parent = text.getparent() if hasattr(text, "getparent") else None
        if parent is not None and parent.tag in ("script", "style"):
            continue
        parts.append(text)
        size += len(text)
        if size > limit:
            break
    return " ".join(" ".join(parts).split())


def _not_a_page(tree: lxml.html.HtmlElement) -> tuple[str, str] | None:
    """(found, reason) when the page is a bot check, an HTTP error page or empty; else None."""
    title = _title(tree)
    if is_bot_title(title):
        return "bot_check", f"title {title!r} is a bot check"
    if _BOT_WIDGETS(tree):
        return "bot_check", "the page holds a challenge widget (captcha / Cloudflare)"
    if _ERROR_TITLE.search(title):
        return "error_page", f"title {title!r} is an HTTP error page"
    text = _visible_text(tree)
    if not title and not text:
        return "empty", "the page has no title and no text"
    if not title and len(text) < 300 and _ERROR_TITLE.search(text):
        return "error_page", f"the page reads {text[:120]!r}"
    return None


def _as_tree(tree_or_body: lxml.html.HtmlElement | bytes | str | None, page_type: str, url: str) -> lxml.html.HtmlElement:
    if tree_or_body is None:
        raise WrongPageType(page_type, url, "empty", "no body")
    if isinstance(tree_or_body, (bytes, str)):
        raw = tree_or_body.encode("utf-8") if isinstance(tree_or_body, str) else tree_or_body
        if not raw or raw.isspace():  # as `not raw.strip()`, without copying the body
            raise WrongPageType(page_type, url, "empty", "the body is empty")
        try:
            return html_tree(raw, url)
        except (lxml.etree.ParserError, ValueError) as exc:
            raise WrongPageType(page_type, url, "empty", f"no HTML document: {exc}") from None
    return tree_or_body


def check_not_error_page(
    tree: lxml.html.HtmlElement | bytes | str | None, page_type: str, url: str
) -> None:
    """Raise :class:`WrongPageType` unless the page looks like a ``page_type`` page.

    Raises when the page is an HTTP error page, a bot/captcha check, empty, a LiveRC "no results"
    page, or another LiveRC page type. Returns quietly when the page carries the marker of
    ``page_type``, and also when it carries no marker of any known kind and no "nothing here"
    message: that is a layout change, which the parser reports as a :class:`PageError` of its
    own (missing table), so it reaches the quarantine with the right reason.
    """
    tree = _as_tree(tree, page_type, url)
    title = _title(tree)
    # has_marker, the title read once and already whitespace-collapsed
    if _type_from_lower(title.lower()) == page_type or find_marker(tree, page_type) is not None:
        # A bot check or error page cannot carry a results table; the title check is the only
        # one that could still fire (a challenge page that embeds the original, never seen).
        if is_bot_title(title):
            raise WrongPageType(page_type, url, "bot_check", f"title {title!r} is a bot check")
        return
    bad = _not_a_page(tree)
    if bad is not None:
        raise WrongPageType(page_type, url, bad[0], bad[1])
    other = classify(tree)
    if other is not None and other != page_type:
        raise WrongPageType(page_type, url, other, f"the page is a LiveRC {other} page")
    text = _visible_text(tree)
    m = _NO_RESULTS.search(text)
    if m:
        start = max(0, m.start() - 60)
        raise WrongPageType(page_type, url, "empty", f"LiveRC says {text[start:m.end() + 60]!r}")


def detect_page_type(body: bytes, url: str | None) -> str:
    """One of :data:`mre_crawler.urls.PAGE_TYPES`: from a LiveRC URL, else from the page itself.

    Raises :class:`WrongPageType` (page type ``unknown``) for an error page, a bot check or an
    empty body, and :class:`PageError` when nothing tells the type.
    """
    where = url or "<no url>"
    if url:
        try:
            page = read_url(url)
        except BadURL:
            page = None
        if page is not None:
            if page.page_type in PAGE_TYPES:
                return page.page_type
            raise PageError(UNKNOWN, where, f"no parser for LiveRC {page.page_type} pages")
    tree = _as_tree(body, UNKNOWN, where)
    bad = _not_a_page(tree)
    if bad is not None:
        raise WrongPageType(UNKNOWN, where, bad[0], bad[1])
    found = classify(tree)
    if found is None:
        raise WrongPageType(UNKNOWN, where, UNKNOWN, "no title rule or structural marker matched")
    return found


def load_page(body: bytes, url: str, page_type: str) -> lxml.html.HtmlElement:
    """Build the tree of a page expected to be ``page_type`` and check it is one (parsers' first step)."""
    tree = _as_tree(body, page_type, url)
    check_not_error_page(tree, page_type, url)
    return tree


_PLAIN_PARSER = lxml.etree.HTMLParser(encoding="utf-8", remove_comments=True)


def load_plain_page(body: bytes, url: str, page_type: str) -> lxml.etree._Element:
    """Like :func:`load_page`, but a plain ``lxml.etree`` tree (no ``HtmlElement`` classes).

    Element access on a plain tree skips lxml.html's per-element class lookup and is about 3x
    faster, which the race parser needs for its lap-heavy pages. Plain elements have no
    ``text_content()``: use ``"".join(el.itertext())``.
    """
    tree = plain_tree(body, url, page_type)
    check_not_error_page(tree, page_type, url)
    return tree


def plain_tree(body: bytes | str | None, url: str, page_type: str) -> lxml.etree._Element:
    """The body's plain ``lxml.etree`` tree; :class:`WrongPageType` ("empty") when there is none."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if body is None or not body or body.isspace():  # as `not body.strip()`, without copying the body
        raise WrongPageType(page_type, url, "empty", "the body is empty")
    try:
        tree = lxml.etree.fromstring(body, _PLAIN_PARSER, base_url=url)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError) as exc:
        raise WrongPageType(page_type, url, "empty", f"no HTML document: {exc}") from None
    if tree is None:
        raise WrongPageType(page_type, url, "empty", "no HTML document")
    return tree


__all__: list[str] = ["check_not_error_page", "classify", "detect_page_type", "find_marker", "has_marker", "load_page", "load_plain_page", "type_from_title"]
