"""A track's dashboard at https://<slug>.liverc.com/: one :class:`Track`.

Layout (FIELD-GUIDE §2; track-dashboard-canberraoffroad.html, track-dashboard-bayrc.html):
``h1`` ``<Name>'s Dashboard``; four tiles in ``div.dashboard_panels`` (live status, results,
sessions and videos this month); ``address.small`` with the postal lines and the contact lines;
a Google Maps iframe whose ``q=`` ends with the country code; ``Lifetime Track Stats``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lxml import etree
from lxml.etree import _Element as Element  # a plain lxml.etree tree

from mre_crawler.items import Track
from mre_crawler.parsers.base import ParseContext, ParseResult
from mre_crawler.parsers.common import _XML_SPACE, br_lines, clean, page_track_slug, parse_int, text_of
from mre_crawler.parsers.detect import load_plain_page

PAGE_TYPE = "track_dashboard"

_LIFETIME_FIELDS = {
    "laps": "lifetime_laps",
    "practice sessions": "lifetime_practice_sessions",
    "races": "lifetime_races",
    "entries": "lifetime_entries",
    "events": "lifetime_events",
}
_MONTH_TILES = {
    "results this month": "results_this_month",
    "sessions this month": "sessions_this_month",
    "videos this month": None,  # not stored
}
# "Lucama, NC 27851" (US), "Ottawa, ON K1A 0B1" (Canada): city, state/province code, ZIP.
_CITY_REGION_ZIP = re.compile(r"^(?P<city>.+?),\s*(?P<region>[A-Za-z]{2,3})\s+(?P<postcode>[A-Za-z0-9][A-Za-z0-9 -]*)$")
# "Milton Keynes MK12 6HP" (UK): the postcode itself holds a space (outward + inward code).
_CITY_UK_POSTCODE = re.compile(r"^(?P<city>.+?)\s+(?P<postcode>[A-Za-z]{1,2}\d[A-Za-z\d]?\s+\d[A-Za-z]{2})$")
# "Narrabundah 02604", "Batemans Bay A2536" (Australia): city, then a postcode holding a digit.
_CITY_POSTCODE = re.compile(r"^(?P<city>.+?)\s+(?P<postcode>[A-Za-z]?\d[A-Za-z0-9-]*)$")
_NO_SPAM = re.compile(r"noSpam\(\s*'(?P<user>[^']+)'\s*,\s*'(?P<domain>[^']+)'\s*\)")
_NOT_GIVEN = {"", "n/a", "na", "none", "-"}
_DASHBOARD_NAME = re.compile(r"(?P<name>.+?)['’]s Dashboard")
_COUNTRY_CODE = re.compile(r"[A-Za-z]{2}")


def _has_class(name: str) -> str:
    return f'contains(concat(" ", normalize-space(@class), " "), " {name} ")'


_H1 = etree.XPath("//h1")
_TILES = etree.XPath(f"//div[{_has_class('dashboard_panels')}]//div[{_has_class('col-xs-9')}]")
_ADDRESSES = etree.XPath("//address")
_IFRAME_SRCS = etree.XPath("//iframe/@src", smart_strings=False)


def _classed_divs(node: Element) -> list[tuple[Element, str]]:
    """Every ``div`` below ``node`` that has a class, with it, in document order: read once a page,
    because any ``//div[...@class...]`` XPath costs as much as this whole walk (~20 µs)."""
    return [(el, cls) for el in node.iter("div") if (cls := el.get("class"))]


def _divs(classed: list[tuple[Element, str]], name: str) -> list[Element]:
    """``.//div[contains(concat(" ", normalize-space(@class), " "), " name ")]`` of the walk."""
    return [el for el, cls in classed if name in cls and _holds_token(cls, name)]


def _holds_token(cls: str, name: str) -> bool:
    """``common.class_holds(cls, (name,))``, the tab/line-break fold done only when there is one."""
    if "\t" in cls or "\n" in cls or "\r" in cls:
        cls = cls.translate(_XML_SPACE)
    return f" {name} " in f" {cls} "


def parse(body: bytes, url: str, meta: Mapping[str, Any] | None = None) -> ParseResult:
    # A plain lxml.etree tree (then check_not_error_page): element access skips lxml.html's
    # per-element class lookup; the XPaths below are compiled once, not per call.
    tree = load_plain_page(body, url, PAGE_TYPE)
    ctx = ParseContext(PAGE_TYPE, url, meta)
    track = Track(slug=page_track_slug(ctx), name=_name(ctx, tree))
    divs = _classed_divs(tree)
    _read_tiles(ctx, tree, divs, track)
    _read_address(ctx, tree, track)
    track.country_code = _country_code(ctx, tree)
    track.facebook = _facebook(tree, divs)
    _read_lifetime_stats(ctx, divs, track)
    return ctx.result([track])


def _name(ctx: ParseContext, tree: Element) -> str:
    headers = _H1(tree)
    text = clean(text_of(headers[0])) if headers else ""
    m = _DASHBOARD_NAME.fullmatch(text)
    if not m:
        ctx.problem("track.name", text or None, "h1 is not \"<Name>'s Dashboard\"")
        return text
    return m["name"]


def _read_tiles(ctx: ParseContext, tree: Element, divs: list[tuple[Element, str]], track: Track) -> None:
    panels = _divs(divs, "dashboard_panels")
    # One panel (every page): its col-xs-9 divs are the XPath's; more, and the XPath's union is read.
    tiles = _divs(_classed_divs(panels[0]), "col-xs-9") if len(panels) == 1 else _TILES(tree)
    if not tiles:
        ctx.problem("track.live_status", None, "no dashboard tiles")
        return
    # The first tile is the live status: its "huge" figure is an icon, the words are the status.
    track.live_status = _tile_label(tiles[0]) or None
    if track.live_status is None:
        ctx.problem("track.live_status", None, "missing")
    for tile in tiles[1:]:
        label = _tile_label(tile)
        attr = _MONTH_TILES.get(label.lower(), "unknown")
        if attr == "unknown":
            ctx.problem("track.month_counter", label, "unknown dashboard tile")
        elif attr is not None:
            huge = _divs(_classed_divs(tile), "huge")
            text = clean(text_of(huge[0])) if huge else None
            setattr(track, attr, ctx.read(f"track.{attr}", text, parse_int, required=True))


def _tile_label(tile: Element) -> str:
    stats = _divs(_classed_divs(tile), "stats")
    return clean(text_of(stats[0])) if stats else ""


def _read_address(ctx: ParseContext, tree: Element, track: Track) -> None:
    addresses = _ADDRESSES(tree)
    if not addresses:
        ctx.problem("track.address", None, "no address block")
        return
    address = addresses[0]
    strong = address.find("strong")
    track.address_name = clean(text_of(strong)) or None if strong is not None else None
    lines = br_lines(address)
    # Line 0 is the <strong> name; the postal lines follow up to the blank line (two <br>s in a
    # row); the contact lines come after it, each introduced by an <abbr title="...">.
    postal: list[str] = []
    for line in lines[1:]:
        if not line:
            break
        postal.append(line)
    track.address_lines = postal
    _split_postal(ctx, track, postal)
    _read_contacts(ctx, address, track)


def _split_postal(ctx: ParseContext, track: Track, postal: list[str]) -> None:
    """street / "City Postcode" or "City, ST ZIP" / country (FIELD-GUIDE §2)."""
    if len(postal) < 2:
        ctx.problem("track.address", " / ".join(postal) or None, "expected at least a city line and a country line")
        if postal:
            track.country = postal[-1]
        return
    track.country = postal[-1]
    city_line = postal[-2]
    m = _CITY_REGION_ZIP.match(city_line)
    if m:
        track.city, track.region, track.postcode = m["city"].strip(), m["region"].upper(), m["postcode"].strip()
        return
    m = _CITY_UK_POSTCODE.match(city_line) or _CITY_POSTCODE.match(city_line)
    if m:
        track.city, track.postcode = m["city"].strip(), m["postcode"]
        return
    ctx.problem("track.city", city_line, 'not "City Postcode" or "City, ST ZIP"')


def _read_contacts(ctx: ParseContext, address: Element, track: Track) -> None:
    for abbr in address.iterfind(".//abbr"):
        title = (abbr.get("title") or "").strip().lower()
        link, text = _value_after(abbr)
        if title == "phone":
            track.phone = None if text.lower() in _NOT_GIVEN else text
        elif title == "website":
            href = link.get("href") if link is not None else None
            value = (href or text).strip()
            track.website = None if value.lower() in _NOT_GIVEN else value
        elif title in ("e-mail", "email"):
            track.email = _email(ctx, link, text)
        else:
            ctx.problem("track.contact", abbr.get("title"), "unknown contact line")


def _value_after(abbr: Element) -> tuple[Element | None, str]:
    """The link (if any) and the text that follow an ``<abbr>`` up to the next ``<br>``."""
    parts = [abbr.tail or ""]
    link: Element | None = None
    for sibling in abbr.itersiblings():
        if sibling.tag == "br":
            break
        if sibling.tag == "a" and link is None:
            link = sibling
        parts.append(text_of(sibling))
        parts.append(sibling.tail or "")
    return link, clean("".join(parts))


def _email(ctx: ParseContext, link: Element | None, text: str) -> str | None:
    # LiveRC hides the address from harvesters: the text is written as &#..; entities (lxml
    # decodes them) and the link is javascript:noSpam('user', 'domain').
    href = link.get("href") if link is not None else None
    m = _NO_SPAM.search(href or "")
    from_link = f"{m['user']}@{m['domain']}" if m else None
    from_text = text if "@" in text else None
    if from_link and from_text and from_link != from_text:
        ctx.problem("track.email", f"{href} / {text}", "noSpam() link and shown address disagree")
    if from_link or from_text:
        return from_link or from_text
    if text.lower() not in _NOT_GIVEN:
        ctx.problem("track.email", href or text, "not an e-mail address")
    return None


def _country_code(ctx: ParseContext, tree: Element) -> str | None:
    for src in _IFRAME_SRCS(tree):
        if "google.com/maps" not in src:
            continue
        q = parse_qs(urlsplit(src).query).get("q")
        # q=Kyeema Street,Narrabundah,+02604,AU: the last comma part is the ISO country code.
        code = q[-1].rsplit(",", 1)[-1].strip() if q else ""
        if _COUNTRY_CODE.fullmatch(code):
            return code.upper()
        ctx.problem("track.country_code", q[-1] if q else src, "map query does not end with a country code")
        return None
    return None  # no map on the page: the country code is simply not given


def _facebook(tree: Element, divs: list[tuple[Element, str]]) -> str | None:
    # //div[has-class fb-page]/@data-href, then //a[contains(@href, "facebook.com")]/@href
    pages = [href for el in _divs(divs, "fb-page") if (href := el.get("data-href")) is not None]
    if pages:
        return pages[0].strip()
    links = [href for a in tree.iter("a") if (href := a.get("href")) is not None and "facebook.com" in href]
    return links[0].strip() if links else None


def _lifetime_panels(divs: list[tuple[Element, str]]) -> list[Element]:
    """``//div[has-class panel][div[contains(@class, "panel-heading")][contains(., "Lifetime Track Stats")]]``,
    found from the headings (one a page; each has a class, so it is in the walk), their parents
    then taken in document order."""
    parents = [el.getparent() for el, cls in divs if "panel-heading" in cls and "Lifetime Track Stats" in text_of(el)]
    return [el for el, cls in divs if el in parents and "panel" in cls and _holds_token(cls, "panel")] if parents else []


def _read_lifetime_stats(ctx: ParseContext, divs: list[tuple[Element, str]], track: Track) -> None:
    # //div[has-class panel][div[contains(@class, "panel-heading")][contains(., "Lifetime Track Stats")]]
    panels = _lifetime_panels(divs)
    if not panels:
        ctx.problem("track.lifetime_stats", None, "no Lifetime Track Stats panel")
        return
    for row in panels[0].iter("tr"):  # .iterfind(".//tr") and .find(), without ElementPath
        th, td = next(row.iterchildren("th"), None), next(row.iterchildren("td"), None)
        if th is None or td is None:
            continue
        label = clean(text_of(th))
        attr = _LIFETIME_FIELDS.get(label.lower())
        if attr is None:
            ctx.problem("track.lifetime_stats", label, "unknown lifetime stat")
            continue
        setattr(track, attr, ctx.read(f"track.{attr}", clean(text_of(td)), parse_int, required=True))
