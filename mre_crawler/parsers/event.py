"""Event page: ``/results/?p=view_event&id=<event_id>`` -> one :class:`items.Event`.

Where things sit (FIELD-GUIDE §4, event-486677.html):

- breadcrumb: ``h1.page-header`` track name (after an icon span), ``h3.page-header`` event name,
  ``h5.page-header`` date or ``Apr 23, 2025 to Apr 27, 2025`` range.
- three ``table.entry_list_data`` tables told apart by their ``span.class_header``: "Race Lineups
  & Entry List" and "Overall Results & Rankings" hold links; "Race Results" interleaves section
  rows (``th`` = round name) with race rows (``Race 14: 1/8 Nitro Buggy (1/8 Nitro Buggy A-Main)``
  and ``Nov 16, 2025 at 5:30pm``).
- the right column's "Event Stats" table: Race Track, Registrations (``Entries: 71<br/>Drivers:
  60``), Total Race Laps (``4,129``).

Schedule order: LiveRC lists the newest first (Main Events first, race numbers high to low), and
race ids do not follow race order. ``schedule_index`` 0 is the first race run: races sort by
completion time, ties broken by round order (the page's sections reversed: Qualifier Round 1
first) and then race number. A race without a completion time sorts after the timed ones.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from lxml import etree

from mre_crawler import items, urls
from mre_crawler.parsers import common
from mre_crawler.parsers.base import ROW_ERRORS, ParseContext, ParseResult
from mre_crawler.parsers.detect import load_plain_page
from mre_crawler.parsers.ids import page_ids

PAGE_TYPE = "event"

# The p= value of a results link -> EventLink.kind.
_LINK_KINDS = {
    "view_entry_list": "entry_list",
    "view_heat_sheet": "heat_sheet",
    "event_overall_ranking": "overall_ranking",
    "view_points": "points",
    "view_round_ranking": "round_ranking",
    "view_multi_main_result": "multi_main",
}
_RACE_LINK = re.compile(r"[?&]p=view_race_result&id=(\d+)")
_ENTRIES = re.compile(r"Entries:\s*([\d,]+)", re.IGNORECASE)
_DRIVERS = re.compile(r"Drivers:\s*([\d,]+)", re.IGNORECASE)
# A link of the usual form ``/results/?p=<page>&id=<digits>``: its p and id read without
# urllib's parse_qs, which gives the same two values for it (any other href goes through parse_qs).
_PLAIN_LINK = re.compile(r"[^?#%+;&=]*\?p=([A-Za-z_]+)&id=(\d+)")


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# Compiled once: every h1/h3/h5 ``.page-header`` in one walk of the page, and whether one sits
# inside div.page-breadcrumb.
_PAGE_HEADERS = etree.XPath(" | ".join(f"//{tag}[{_has_class('page-header')}]" for tag in ("h1", "h3", "h5")))  # a union is in page order
_IN_BREADCRUMB = etree.XPath(f"boolean(ancestor::div[{_has_class('page-breadcrumb')}])")
_LIST_TABLES = etree.XPath(f"//table[{_has_class('entry_list_data')}]")
_CLASS_HEADER = etree.XPath(".//span[contains(@class, 'class_header')]")
_STATS_ROWS = etree.XPath(f"//table[{_has_class('table-sm')}]//tr[th and td]")


def parse(body: bytes, url: str, meta: Mapping[str, Any] | None = None) -> ParseResult:
    ctx = ParseContext(PAGE_TYPE, url, meta)
    ids = page_ids(ctx, PAGE_TYPE, required=("track_slug", "event_id"))
    # A plain lxml.etree tree: element access skips lxml.html's per-element class lookup; texts
    # are read with the XPath ``string()`` that ``text_content()`` runs (``_text``).
    tree = load_plain_page(body, url, PAGE_TYPE)
    breadcrumb = _breadcrumb(tree)
    tables_by_class = _tables_by_class(tree)
    name = breadcrumb.get("h3")
    if not name:
        ctx.problem("event.name", name, "missing (div.page-breadcrumb h3.page-header)")
    date_text = breadcrumb.get("h5")
    dates = ctx.read("event.date", date_text, common.parse_date_range, required=True)
    event = items.Event(
        track_slug=ids["track_slug"],
        event_id=ids["event_id"],
        name=name or "",
        track_name=breadcrumb.get("h1") or None,
        date_start=dates[0] if dates else None,
        date_end=dates[1] if dates else None,
    )
    list_tables = tables_by_class["entry_list_data"]
    tables = _tables_by_caption(list_tables)
    results_table = tables.get("race results")
    if results_table is None:
        raise ctx.fail("no Race Results table (table.entry_list_data with 'Race Results')", "event.races")
    event.races = _read_races(ctx, results_table)
    event.links = _read_links(ctx, list_tables, ids["track_slug"])
    _read_stats(ctx, tree, tables_by_class["table-sm"], event)
    return ctx.result([event])


_text_of = common.text_of
class_holds = common.class_holds


def _text(el: etree._Element) -> str:
    # common.clean(common.element_text(el)), inlined: it runs for every cell; an element with no
    # children (most cells) is its own text, read without the XPath call.
    return " ".join((_text_of(el) if len(el) else el.text or "").split())


def _breadcrumb(tree: etree._Element) -> dict[str, str]:
    """By tag (h1, h3, h5): the text of the first ``div.page-breadcrumb <tag>.page-header`` (after
    its icon span), else of the first ``<tag>.page-header`` on the page (the track name ``h1`` sits
    in the row above the breadcrumb). A tag with neither is absent."""
    inside: dict[str, etree._Element] = {}
    anywhere: dict[str, etree._Element] = {}
    for header in _page_headers(tree):
        anywhere.setdefault(header.tag, header)
        if header.tag not in inside and _in_breadcrumb(header):
            inside[header.tag] = header
    return {tag: _text(inside.get(tag, header)) for tag, header in anywhere.items()}


def _page_headers(tree: etree._Element) -> list[etree._Element]:
    """``_PAGE_HEADERS(tree)`` by a tag walk: the h1, h3 and h5 of class page-header, in page order."""
    return [el for el in tree.iter("h1", "h3", "h5") if class_holds(el.get("class"), ("page-header",))]


def _in_breadcrumb(el: etree._Element) -> bool:
    """``_IN_BREADCRUMB(el)``: whether a ``div.page-breadcrumb`` holds ``el``, by walking up."""
    return any(up.tag == "div" and class_holds(up.get("class"), ("page-breadcrumb",)) for up in el.iterancestors())


def _tables_by_class(tree: etree._Element) -> dict[str, list[etree._Element]]:
    """``//table[has-class X]`` for the two classes this parser reads, in one tag walk."""
    found: dict[str, list[etree._Element]] = {"entry_list_data": [], "table-sm": []}
    for table in tree.iter("table"):
        cls = table.get("class")
        for name, tables in found.items():
            if class_holds(cls, (name,)):
                tables.append(table)
    return found


def _tables_by_caption(list_tables: list[etree._Element]) -> dict[str, etree._Element]:
    """``table.entry_list_data`` tables by their ``thead span.class_header`` text, lower case."""
    tables: dict[str, etree._Element] = {}
    for table in list_tables:
        header = _CLASS_HEADER(table)
        if header:
            tables.setdefault(_text(header[0]).lower(), table)
    return tables


# --- races ----------------------------------------------------------------------------------
def _read_races(ctx: ParseContext, table: etree._Element) -> list[items.EventRace]:
    races: list[items.EventRace] = []
    round_ranks: dict[str, int] = {}
    section: str | None = None
    for n, tr in enumerate(table.iter("tr"), start=1):
        headers = list(tr.iterchildren("th"))  # findall("th") and findall("td") without ElementPath
        if headers:
            title = _text(headers[0])
            if title.lower() in ("race results", "time completed", ""):
                continue  # the table's own caption row
            section = title
            round_ranks.setdefault(section, len(round_ranks))
            continue
        cells = list(tr.iterchildren("td"))
        if not cells:
            continue
        try:  # ctx.row's work, its context manager only built for a row that fails
            races.append(_read_race(ctx, cells, section, n))
        except ROW_ERRORS:
            with ctx.row(f"event.races.row[{n}]", lambda tr=tr: _text(tr)):
                raise  # recorded and dropped by ctx.row, as if raised inside it
    # The page lists rounds newest first: reverse their order for the schedule.
    last = len(round_ranks) - 1
    rank = {name: last - i for name, i in round_ranks.items()}
    timed_last = dt.datetime.max
    order = sorted(
        range(len(races)),
        key=lambda i: (
            races[i].completed_local or timed_last,
            rank.get(races[i].round_name, last + 1),
            races[i].race_number if races[i].race_number is not None else 0,
        ),
    )
    for index, i in enumerate(order):
        races[i].schedule_index = index
    return races


def _read_race(ctx: ParseContext, cells: list[etree._Element], section: str | None, n: int) -> items.EventRace:
    # The first ``.//a[@href]``, without an XPath per row.
    link = next((a for a in cells[0].iter("a") if a.get("href") is not None), None)
    if link is None:
        raise ValueError("no race link")
    href = link.get("href")
    m = _RACE_LINK.search(href)
    if not m:
        raise ValueError(f"not a race result link: {href!r}")
    label = (_text_of(link) if len(link) else link.text or "").strip()
    number, class_name, race_name = common.split_race_label(label)
    if section is None:
        ctx.problem(f"event.races.row[{n}].round_name", None, "race row before any section row")
    completed_text = _text(cells[1]) if len(cells) > 1 else None
    completed = ctx.read(f"event.races.row[{n}].completed", completed_text, common.parse_at_datetime, required=True)
    heat_number, heat_count = common.heat_of(race_name)
    return items.EventRace(
        race_id=int(m[1]),
        round_name=section or "",
        race_number=number,
        class_name=class_name,
        race_name=race_name,
        race_label_raw=label,
        completed_local=completed,
        heat_number=heat_number,
        heat_count=heat_count,
    )


# --- links ----------------------------------------------------------------------------------
def _read_links(ctx: ParseContext, list_tables: list[etree._Element], slug: str) -> list[items.EventLink]:
    links: list[items.EventLink] = []
    seen: set[tuple[str, int]] = set()
    for a in _links_in(list_tables):
        href = a.get("href")
        plain = _PLAIN_LINK.fullmatch(href)
        if plain is not None:
            kind = _LINK_KINDS.get(plain[1])
            if kind is None:
                continue
            raw_id = plain[2]
            query = None
        else:
            query = parse_qs(urlsplit(href).query)
            kind = _LINK_KINDS.get((query.get("p") or [""])[-1])
            if kind is None:
                continue
            raw_id = (query.get("id") or [""])[-1]
        if not raw_id.isdigit():
            ctx.problem(f"event.links.{kind}", href, "link without a numeric id")
            continue
        if (kind, int(raw_id)) in seen:
            continue
        seen.add((kind, int(raw_id)))
        # Hrefs may percent-encode underscores (``view%5Fmulti%5Fmain%5Fresult``, FIELD-GUIDE
        # §11.1): the link is kept under its decoded form, the URL the crawl and the store know.
        url = (f"{urls.track_base(slug)}/results/?{urlencode({k: v[-1] for k, v in query.items()})}"
               if slug and "%" in href else urls.absolute(href, slug) if slug else href)
        links.append(items.EventLink(kind=kind, target_id=int(raw_id), label=_text(a), url=url))
    return links


def _links_in(list_tables: list[etree._Element]):
    """``//table.entry_list_data//a[@href]`` in document order, each once (a table nested in
    another would otherwise give its links twice)."""
    seen: set[etree._Element] = set()
    for table in list_tables:
        for a in table.iter("a"):
            if a.get("href") is not None and a not in seen:
                seen.add(a)
                yield a


# --- event stats ----------------------------------------------------------------------------
def _stats_rows(tree: etree._Element, small_tables: list[etree._Element]) -> list[etree._Element]:
    """``_STATS_ROWS(tree)``: with one ``table.table-sm`` (every page) its rows holding a th and a
    td, by a tag walk; with more, the XPath (its union of nested tables' rows)."""
    if len(small_tables) != 1:
        return _STATS_ROWS(tree) if small_tables else []
    return [tr for tr in small_tables[0].iter("tr")
            if next(tr.iterchildren("th"), None) is not None and next(tr.iterchildren("td"), None) is not None]


def _read_stats(ctx: ParseContext, tree: etree._Element, small_tables: list[etree._Element], event: items.Event) -> None:
    """The "Event Stats" panel: ``th`` label, ``td`` value."""
    found = False
    for tr in _stats_rows(tree, small_tables):
        label = _text(next(tr.iterchildren("th"))).lower()  # tr.find("th"), without ElementPath
        cell = next(tr.iterchildren("td"))
        value = _text(cell)
        if label == "race track":
            event.race_track = value or None
            found = True
        elif label == "registrations":
            found = True
            entries, drivers = _ENTRIES.search(value), _DRIVERS.search(value)
            if entries is None or drivers is None:
                ctx.problem("event.registrations", value, "not 'Entries: N Drivers: M'")
            event.entries = ctx.read("event.entries", entries[1] if entries else None, common.parse_int)
            event.drivers = ctx.read("event.drivers", drivers[1] if drivers else None, common.parse_int)
        elif label == "total race laps":
            found = True
            event.total_race_laps = ctx.read("event.total_race_laps", value, common.parse_int)
    if not found:
        ctx.problem("event.stats", None, "no Event Stats panel (Race Track / Registrations / Total Race Laps)")
