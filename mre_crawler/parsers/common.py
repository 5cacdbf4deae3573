"""Text readers shared by the page parsers: each turns one LiveRC text form into a value.

Every function raises ``ValueError`` on text it cannot read; parsers call them through
``ParseContext.read`` so the failure is recorded with page, URL, field and text.
"""

from __future__ import annotations

import datetime as dt
import re

from lxml import etree
from lxml.html import HtmlElement

_WS = re.compile(r"\s+")


def clean(text: str | None) -> str:
    """Collapse runs of whitespace (LiveRC prints double spaces inside race names)."""
    # str.split() splits on exactly the characters \s matches in a str pattern, and is ~4x faster.
    return " ".join(text.split()) if text else ""


# What lxml.html's ``text_content()`` runs; usable on plain lxml.etree elements too.
text_of = etree.XPath("string()", smart_strings=False)

_XML_SPACE = str.maketrans("\t\r\n", "   ")  # the whitespace XPath's normalize-space() folds
_CLASS_FINDERS: dict[tuple[str, ...], etree.XPath] = {}


def with_class(node: etree._Element, *names: str, token: bool = True) -> list[etree._Element]:
    """The elements below ``node`` whose class holds the token ``name`` (any of ``names``), in
    document order: what ``.//*[contains(concat(" ", normalize-space(@class), " "), " name ")]``
    selects, or with ``token=False`` ``.//*[contains(@class, "name")]``.

    A node whose children have no children of their own (a table cell holding a span) is read from
    its children. Otherwise an XPath picks the class *attributes* that contain a name (a plain
    substring test in C, several times cheaper than a predicate on every element: ~14 µs against
    ~60 µs over a 36-row table), each of which knows its element, and the exact token test runs on
    those few hits."""
    if not any(len(child) for child in node):  # the children are all the descendants
        return [child for child in node if isinstance(child.tag, str) and class_holds(child.get("class"), names, token)]
    finder = _CLASS_FINDERS.get(names)
    if finder is None:
        test = " or ".join(f'contains(., "{name}")' for name in names)
        finder = _CLASS_FINDERS[names] = etree.XPath(f"descendant::*/@class[{test}]")
    return [value.getparent() for value in finder(node) if class_holds(value, names, token)]


def class_holds(value: str | None, names: tuple[str, ...], token: bool = True) -> bool:
    """Whether a class attribute holds one of ``names`` (as a token, or with ``token=False`` anywhere)."""
    if not value or not any(name in value for name in names):
        return False
    if not token:
        return True
    padded = f" {value.translate(_XML_SPACE)} "
    return any(f" {name} " in padded for name in names)


def element_text(el: etree._Element) -> str:
    """``text_of(el)``; an element with no child elements (most cells) is read directly, without an XPath call."""
    return text_of(el) if len(el) else el.text or ""


def cell_text(el: etree._Element) -> str:
    """``clean(text_of(el))``; an element with no child elements (most cells) is read directly."""
    return clean(el.text if not len(el) else text_of(el))


def split_hidden(cell: HtmlElement) -> tuple[str | None, str]:
    """Read a cell that carries a hidden sort key before its visible text.

    LiveRC writes ``<span class="hidden">BRATTON, RICHARD</span>RICHARD BRATTON``; whole-cell
    text glues them (``BRATTON, RICHARDRICHARD BRATTON``). Returns (hidden, visible).
    """
    hidden_nodes = cell.xpath('.//*[contains(concat(" ", normalize-space(@class), " "), " hidden ")]')
    if not hidden_nodes:
        return None, clean(text_of(cell))
    hidden = hidden_nodes[0]
    hidden_text = clean(text_of(hidden))
    parts: list[str] = []

    def walk(node: HtmlElement) -> None:
        if node in hidden_nodes:
            return
        if isinstance(node.tag, str) and node.text and node is not cell:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    if cell.text:
        parts.append(cell.text)
    for child in cell:
        walk(child)
        if child.tail:
            parts.append(child.tail)
    return hidden_text, clean(" ".join(parts))


_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def parse_int(text: str) -> int:
    """``4,129`` -> 4129."""
    t = text.strip().replace(",", "")
    if not _INT.fullmatch(t):
        raise ValueError(f"not a whole number: {text!r}")
    return int(t)


# A decimal as LiveRC prints lap times and averages (``34.746``): what parse_float and parse_duration
# read with float(); a parser may read text this matches directly, and leave the rest to them.
PLAIN_DECIMAL = re.compile(r"[0-9]+\.[0-9]+")


def parse_float(text: str) -> float:
    t = text.strip().replace(",", "")
    if not _FLOAT.fullmatch(t):
        raise ValueError(f"not a number: {text!r}")
    return float(t)


_DURATION = re.compile(r"(?:(?:(?P<h>\d+):)?(?P<m>\d+):)?(?P<s>\d+(?:\.\d+)?)")
_SECONDS = re.compile(r"\d+(?:\.\d+)?")


def parse_duration(text: str) -> float:
    """``1:51.828`` / ``30:31.382`` / ``1:02:03.5`` / ``56.135`` / ``55`` -> seconds."""
    t = text.strip()
    if _SECONDS.fullmatch(t):  # plain seconds, the common case (lap times): skip the big pattern
        return float(t)
    m = _DURATION.fullmatch(t)
    if not m:
        raise ValueError(f"not a duration: {text!r}")
    hours = int(m["h"] or 0)
    minutes = int(m["m"] or 0)
    seconds = float(m["s"])
    if m["m"] is not None and seconds >= 60:
        raise ValueError(f"seconds out of range in {text!r}")
    if m["h"] is not None and minutes >= 60:
        raise ValueError(f"minutes out of range in {text!r}")
    return round(hours * 3600 + minutes * 60 + seconds, 6)


_LAPS_TIME = re.compile(r"(?P<laps>\d+)\s*/\s*(?P<time>[\d:.]+)(?:\s*\((?P<flag>DNS|DNF)\))?")


def parse_laps_time(text: str) -> tuple[int, float | None, str | None]:
    """``47/30:31.382`` -> (47, 1831.382, None); ``1/56.135 (DNF)``; bare ``0`` (a DNS row) -> (0, None, None)."""
    t = clean(text)
    if t.isdigit() and t.isascii():
        return int(t), None, None
    m = _LAPS_TIME.fullmatch(t)
    if not m:
        raise ValueError(f"not laps/time: {text!r}")
    return int(m["laps"]), parse_duration(m["time"]), m["flag"]


_BEHIND_LAPS = re.compile(r"(\d+)\s+Laps?", re.IGNORECASE)


def parse_behind(text: str) -> tuple[float | None, int | None]:
    """The Behind column: seconds (``12.052``) or laps (``1 Lap``, ``22 Laps``)."""
    t = clean(text)
    m = _BEHIND_LAPS.fullmatch(t)
    if m:
        return None, int(m[1])
    return parse_duration(t), None


_CLOCK = re.compile(r"(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>[ap]m)", re.IGNORECASE)


def parse_clock(text: str) -> dt.time:
    """``4:36:38pm`` / ``5:30pm`` / ``12:05:00am`` -> time (no space before am/pm on LiveRC)."""
    m = _CLOCK.fullmatch(text.strip())
    if not m:
        raise ValueError(f"not a clock time: {text!r}")
    hour = int(m["h"])
    if not 1 <= hour <= 12:
        raise ValueError(f"hour out of range in {text!r}")
    hour = hour % 12 + (12 if m["ampm"].lower() == "pm" else 0)
    return dt.time(hour, int(m["m"]), int(m["s"] or 0))


_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december")
# English month names and their 3-letter forms, as LiveRC prints them whatever the track's country
# (strptime's %b/%B would follow the process locale and is ~20x slower).
_MONTHS = {**{m: i for i, m in enumerate(_MONTH_NAMES, 1)}, **{m[:3]: i for i, m in enumerate(_MONTH_NAMES, 1)}}
_MONTH_DATE = re.compile(r"(?:[A-Za-z]{3},\s*)?([A-Za-z]+)\s+(\d{1,2}),\s*(\d{4})(?:\s*\([A-Za-z]+\))?")


def parse_month_date(text: str) -> dt.date:
    """``Nov 16, 2025`` / ``October 25, 2025`` (an optional ``(Saturday)`` or ``Sat,`` is ignored)."""
    m = _MONTH_DATE.fullmatch(clean(text))
    month = _MONTHS.get(m[1].lower()) if m else None
    if month is None:
        raise ValueError(f"not a date like 'Nov 16, 2025': {text!r}")
    try:
        return dt.date(int(m[3]), month, int(m[2]))
    except ValueError:
        raise ValueError(f"not a date like 'Nov 16, 2025': {text!r}") from None


_DATE_RANGE_TO = re.compile(r"\s+to\s+")


def parse_date_range(text: str) -> tuple[dt.date, dt.date]:
    """``Nov 16, 2025`` or ``Apr 23, 2025 to Apr 27, 2025``."""
    t = clean(text)
    if t and "to" not in t:  # one date (most rows): the split below would give [t]
        d = parse_month_date(t)
        return d, d
    parts = [p for p in _DATE_RANGE_TO.split(t) if p]
    if len(parts) == 1:
        d = parse_month_date(parts[0])
        return d, d
    if len(parts) == 2:
        start, end = parse_month_date(parts[0]), parse_month_date(parts[1])
        if end < start:
            raise ValueError(f"date range ends before it starts: {text!r}")
        return start, end
    raise ValueError(f"not a date or date range: {text!r}")


_AT_DATETIME = re.compile(r"(.+?)\s+at\s+(.+)")


# The form every event page row has, read in one match; anything else takes the general path.
_AT_DATETIME_USUAL = re.compile(r"([A-Za-z]{3,9}) (\d{1,2}), (\d{4}) at (\d{1,2}):(\d{2})([ap]m)")


def parse_at_datetime(text: str) -> dt.datetime:
    """``Nov 16, 2025 at 5:30pm`` -> local datetime."""
    usual = _AT_DATETIME_USUAL.fullmatch(text)
    if usual is not None:
        month = _MONTHS.get(usual[1].lower())
        hour = int(usual[4])
        if month is not None and 1 <= hour <= 12:
            try:
                return dt.datetime(int(usual[3]), month, int(usual[2]), hour % 12 + (12 if usual[6] == "pm" else 0), int(usual[5]))
            except ValueError:
                pass  # the general path below raises with its own message
    m = _AT_DATETIME.fullmatch(clean(text))
    if not m:
        raise ValueError(f"not a date like 'Nov 16, 2025 at 5:30pm': {text!r}")
    return dt.datetime.combine(parse_month_date(m[1]), parse_clock(m[2]))


_ISO_STAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})")


def parse_iso_stamp(text: str) -> dt.datetime:
    """The hidden sort key ``2025-11-16 08:30:00``."""
    m = _ISO_STAMP.fullmatch(clean(text))
    try:
        if m is None:
            raise ValueError
        return dt.datetime(*map(int, m.groups()))
    except ValueError:
        raise ValueError(f"not a YYYY-MM-DD HH:MM:SS stamp: {text!r}") from None


_US_DATETIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\s+(.+)")


def parse_us_datetime(text: str) -> dt.datetime:
    """Practice JSON's US-style ``10/25/2025 2:44:10pm`` (even on Australian tracks)."""
    m = _US_DATETIME.fullmatch(clean(text))
    if not m:
        raise ValueError(f"not a date like '10/25/2025 2:44:10pm': {text!r}")
    return dt.datetime.combine(dt.date(int(m[3]), int(m[1]), int(m[2])), parse_clock(m[4]))


def parse_percent(text: str) -> float:
    """``92.82%`` -> 92.82."""
    return parse_float(text.strip().rstrip("%"))


_SPELLED_DURATION = re.compile(r"(\d+)\s+(hour|minute|second)s?", re.IGNORECASE)


def parse_spelled_duration(text: str) -> int:
    """``7 hours, 16 minutes, 45 seconds`` -> 26205."""
    found = _SPELLED_DURATION.findall(text)
    if not found:
        raise ValueError(f"not a spelled-out duration: {text!r}")
    unit = {"hour": 3600, "minute": 60, "second": 1}
    return sum(int(n) * unit[u.lower()] for n, u in found)


_RACE_NUMBER = re.compile(r"Race\s+(\d+)\s*:\s*")


def split_race_label(text: str) -> tuple[int | None, str, str]:
    """``Race 6: 1/8 Nitro Buggy (1/8 Nitro Buggy  (Heat 3/3))`` -> (6, class, race name).

    The race name is the last top-level parenthesised group (balanced), because heat names nest
    parentheses; a non-greedy ``\\((.*?)\\)`` breaks on them (FIELD-GUIDE §4).
    """
    t = (text or "").strip()
    number: int | None = None
    m = _RACE_NUMBER.match(t)
    if m:
        number = int(m[1])
        t = t[m.end():]
    if not t.endswith(")"):
        return number, clean(t), clean(t)
    i = t.rfind("(")
    if i >= 0 and t.count(")", i) == 1:  # no nested group in the last one (the common case): skip the scan
        return number, clean(t[:i]), clean(t[i + 1 : -1])
    depth = 0
    for i in range(len(t) - 1, -1, -1):
        if t[i] == ")":
            depth += 1
        elif t[i] == "(":
            depth -= 1
            if depth == 0:
                return number, clean(t[:i]), clean(t[i + 1 : -1])
    raise ValueError(f"unbalanced parentheses in race label: {text!r}")


_HEAT = re.compile(r"\(Heat\s+(\d+)\s*/\s*(\d+)\)", re.IGNORECASE)


def heat_of(race_name: str) -> tuple[int | None, int | None]:
    m = _HEAT.search(race_name)
    return (int(m[1]), int(m[2])) if m else (None, None)


def url_track_slug(url: str) -> str | None:
    """The track slug in a LiveRC URL's host, folded to lower case; None for any other host.

    Pages never show their own track (FIELD-GUIDE §0), so the requested URL is the fallback when
    the crawler's ``meta`` does not carry ``track_slug``.
    """
    from mre_crawler.urls import host_slug

    slug = host_slug(url)
    if slug is None or slug == "live":
        return None
    return slug if re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug) else None


def url_query_value(url: str, key: str) -> str | None:
    """One query parameter of ``url`` (the last one when repeated), or None."""
    from urllib.parse import parse_qs, urlsplit

    values = parse_qs(urlsplit(url).query).get(key)
    return values[-1] if values else None


def br_lines(element: HtmlElement) -> list[str]:
    """The whitespace-cleaned text of each ``<br>``-separated line inside ``element``.

    LiveRC stacks several values in one cell with ``<br>`` (``Date: …<br/>Start: …``, an address);
    ``text_content()`` would glue them together.
    """
    lines: list[list[str]] = [[element.text or ""]]
    for child in element:
        if child.tag == "br":
            lines.append([])
        elif isinstance(child.tag, str):
            lines[-1].append(text_of(child))  # text_content(), also on plain lxml.etree elements
        lines[-1].append(child.tail or "")
    return [clean("".join(parts)) for parts in lines]


def page_track_slug(ctx) -> str:  # ctx: mre_crawler.parsers.base.ParseContext
    """The track slug from ``meta["track_slug"]``, else the URL host, folded to lower case.

    No page names its own track (FIELD-GUIDE §0). When neither source has it the slug is ``""``
    *and* a problem is recorded, so the page is never filed under a guessed track.
    """
    raw = ctx.meta.get("track_slug") or url_track_slug(ctx.url)
    if not raw:
        ctx.problem("track_slug", None, "no track_slug in meta and no <slug>.liverc.com host in the URL")
        return ""
    return str(raw).lower()


def page_id(ctx, key: str) -> int | None:  # ctx: mre_crawler.parsers.base.ParseContext
    """An id the page does not show (event, points, session id): ``meta[key]``, else the URL's ``id=``.

    Missing or unreadable (``id=UNKNOWN``) gives None and a problem naming ``key``.
    """
    raw = ctx.meta.get(key)
    if raw is None:
        raw = url_query_value(ctx.url, "id")
    if raw is None:
        ctx.problem(key, None, "not in meta and no id= in the URL")
        return None
    return ctx.read(key, str(raw), parse_int)
