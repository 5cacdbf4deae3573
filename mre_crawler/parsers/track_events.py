"""Track events list: ``https://<slug>.liverc.com/events/`` -> one :class:`items.EventSummary` per row.

Where things sit (FIELD-GUIDE §3, track-events-canberraoffroad.html): ``table#events tbody tr``
with columns Event Name | Date | # Entries | # Drivers. The Date cell starts with a hidden sort
key ``<span class="hidden">2025-11-16 08:30:00</span>`` before the visible ``Nov 16, 2025``;
a ``00:00:00`` stamp means LiveRC has no start time (75 of the 100 rows). Multi-day events
show a range (``May 3, 2025 to May 4, 2025``): ``event_date`` .. ``event_date_end``. Entries and drivers can
be ``0`` (``2024 Club Challenge``). Rows come newest first, but ids are not in date order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lxml import etree

from mre_crawler import items
from mre_crawler.parsers import common
from mre_crawler.parsers.base import ParseContext, ParseResult
from mre_crawler.parsers.detect import load_plain_page
from mre_crawler.parsers.ids import page_ids

PAGE_TYPE = "track_events"

_EVENT_LINK = re.compile(r"[?&]p=view_event&id=(\d+)")
_EVENTS_TABLE = etree.XPath("//table[@id='events']")
_BODY_ROWS = etree.XPath("./tbody/tr[td]")
_ROWS = etree.XPath("./tr[td]")


def parse(body: bytes, url: str, meta: Mapping[str, Any] | None = None) -> ParseResult:
    ctx = ParseContext(PAGE_TYPE, url, meta)
    slug = page_ids(ctx, PAGE_TYPE, required=("track_slug",))["track_slug"]
    # A plain lxml.etree tree: element access skips lxml.html's per-element class lookup (the rows
    # were most of this page's cost); texts are read with the XPath ``string()`` that ``text_content()`` runs (``_text``).
    tree = load_plain_page(body, url, PAGE_TYPE)
    tables = _EVENTS_TABLE(tree)
    if not tables:
        raise ctx.fail("no events table (table#events)", "track_events")
    rows = _BODY_ROWS(tables[0]) or _ROWS(tables[0])
    events: list[items.EventSummary] = []
    for n, tr in enumerate(rows, start=1):
        with ctx.row(f"track_events.row[{n}]", lambda tr=tr: common.clean(_text(tr))):
            events.append(_read_row(ctx, slug, tr, n))
    return ctx.result(events)


def _read_row(ctx: ParseContext, slug: str, tr: etree._Element, n: int) -> items.EventSummary:
    cells = list(tr.iterchildren("td"))  # as findall("td"), without ElementPath's per-call cost (~5x)
    if len(cells) < 4:
        raise ValueError(f"{len(cells)} cells, expected 4 (name, date, entries, drivers)")
    # The first ``.//a[@href]``, without an XPath per row.
    link = next((a for a in cells[0].iter("a") if a.get("href") is not None), None)
    if link is None:
        raise ValueError("no event link")
    m = _EVENT_LINK.search(link.get("href"))
    if not m:
        raise ValueError(f"not an event link: {link.get('href')!r}")
    name = common.cell_text(link)
    hidden, visible = _split_date_cell(cells[1])
    stamp = ctx.read(f"track_events.row[{n}].start", hidden, common.parse_iso_stamp, required=True)
    has_time = stamp is not None and (stamp.hour, stamp.minute, stamp.second) != (0, 0, 0)
    dates = ctx.read(f"track_events.row[{n}].date", visible, common.parse_date_range, required=True)
    return items.EventSummary(
        track_slug=slug,
        event_id=int(m[1]),
        name=name,
        start_local=stamp,
        start_has_time=has_time,
        event_date=dates[0] if dates else None,
        entries=_count(ctx, n, "entries", common.element_text(cells[2])),
        drivers=_count(ctx, n, "drivers", common.element_text(cells[3])),
        event_date_end=dates[1] if dates else None,
    )


def _count(ctx: ParseContext, n: int, name: str, text: str) -> int | None:
    """Plain digits (every row seen) skip the general reader, which gives the same int."""
    t = text.strip()
    if t.isdigit() and t.isascii():
        return int(t)
    return ctx.read(f"track_events.row[{n}].{name}", text, common.parse_int)


def _split_date_cell(td: etree._Element) -> tuple[str | None, str]:
    """``<span class="hidden">2025-11-16 08:30:00</span>Nov 16, 2025`` -> (stamp, visible date).

    The hidden key is a direct child here, so this skips the general (XPath) ``common.split_hidden``,
    which costs most of the page's parse time over 100 rows.
    """
    for child in td:
        if "hidden" in (child.get("class") or "").split():
            visible = (td.text or "") + (child.tail or "") + "".join(_text(c) + (c.tail or "") for c in child.itersiblings())
            return (child.text or "").strip(), common.clean(visible)
    return common.split_hidden(td)


_text = common.text_of
