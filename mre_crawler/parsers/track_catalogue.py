"""The track catalogue at https://live.liverc.com/: one :class:`TrackListing` per track row.

Layout (FIELD-GUIDE §1, track-catalogue.html, 1090 rows): one ``table.track_list``; each
``tbody tr`` has a status cell (icons + relative last activity) and a name cell
``<span class="hidden">seRC</span><a href="//<slug>.liverc.com/"><strong>Name</strong></a>
<div class="indent"><small>latest event</small></div>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lxml import etree

from mre_crawler.items import TrackListing
from mre_crawler.parsers.base import ParseContext, ParseResult, RowSkipped
from mre_crawler.parsers.common import clean, text_of
from mre_crawler.parsers.detect import load_plain_page

PAGE_TYPE = "track_catalogue"

# The legend above the table names each icon class (Live Video, Featured Event, Racing in
# Progress, Open Practicing, No Track Activity). ``status_video_0`` is the greyed camera: no video.
STATUS_WORDS: dict[str, str | None] = {
    "status_video_1": "live_video",
    "status_video_0": None,
    "status_2": "racing",
    "status_1": "open_practice",
    "status_0": "idle",
    "status_featured": "featured",
}

_TRACK_LISTS = etree.XPath('//table[contains(concat(" ", normalize-space(@class), " "), " track_list ")]')
_SLUG_HREF = re.compile(r"^(?:https?:)?//(?P<slug>[A-Za-z0-9][A-Za-z0-9-]*)\.liverc\.com/?$")


def parse(body: bytes, url: str, meta: Mapping[str, Any] | None = None) -> ParseResult:
    # A plain lxml.etree tree (no lxml.html element classes: 1,090 rows), texts read with the XPath
    # ``string()`` that ``text_content()`` runs.
    tree = load_plain_page(body, url, PAGE_TYPE)  # builds the tree, then check_not_error_page
    ctx = ParseContext(PAGE_TYPE, url, meta)
    tables = _TRACK_LISTS(tree)
    if not tables:
        raise ctx.fail("no table.track_list on the page", "track_list")
    listings: list[TrackListing] = []
    # Plain lxml child walks, not per-row selectors: the table has over a thousand rows.
    for index, row in enumerate(tables[0].iterfind("tbody/tr")):
        field = f"track_listing[{index}]"
        with ctx.row(field, lambda row=row: clean(text_of(row))):
            listing = _listing(ctx, field, row)
            if listing is not None:
                listings.append(listing)
    return ctx.result(listings)


def _listing(ctx: ParseContext, field: str, row: etree._Element) -> TrackListing | None:
    cells = row.findall("td")
    if len(cells) != 2:
        raise RowSkipped(f"expected 2 cells, found {len(cells)}")
    status_cell, name_cell = cells
    link = name_cell.find("a")
    href = link.get("href") if link is not None else None
    match = _SLUG_HREF.match((href or "").strip())
    if not match:
        # Without its slug a track cannot be keyed or crawled: drop only this row.
        ctx.problem(f"{field}.slug", href, "row skipped: no //<slug>.liverc.com/ link in the name cell")
        return None
    slug_raw = match["slug"]
    strong = link.find("strong")
    name = clean(text_of(strong if strong is not None else link))
    if not name:
        ctx.problem(f"{field}.name", None, "missing")
    return TrackListing(
        # Slugs are keyed folded to lower case: the catalogue has //FastandFunToyandHobby.liverc.com/.
        slug=slug_raw.lower(),
        slug_raw=slug_raw,
        name=name,
        latest_event_name=_latest_event(name_cell),
        last_activity=_last_activity(status_cell),
        status=_status_words(ctx, field, status_cell),
        row_url=_row_url(row.get("data-href")),
    )


def _latest_event(name_cell: etree._Element) -> str | None:
    # 41 of 1090 rows have no latest event: that is None, not a problem.
    for div in name_cell.iterfind("div"):
        if "indent" in (div.get("class") or "").split():
            return clean(text_of(div)) or None
    return None


def _last_activity(status_cell: etree._Element) -> str | None:
    for outer in status_cell.iterfind("small"):
        return clean(text_of(outer)) or None
    return None


def _status_words(ctx: ParseContext, field: str, status_cell: etree._Element) -> list[str]:
    words: list[str] = []
    for icon in status_cell.iterfind("i"):
        classes = icon.get("class") or ""
        if "status_" not in classes:  # most icon classes are Font Awesome's: skip them unsplit
            continue
        for cls in classes.split():
            if not cls.startswith("status_"):
                continue
            if cls not in STATUS_WORDS:
                ctx.problem(f"{field}.status", cls, "unknown status icon class")
                continue
            word = STATUS_WORDS[cls]
            if word is not None and word not in words:
                words.append(word)
    return words


def _row_url(href: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    return "https:" + href if href.startswith("//") else href
