"""A heat sheet: /results/?p=view_heat_sheet&id=<n> -> one :class:`HeatSheet` (FIELD-GUIDE §11.3).

One ``table.heat_sheet`` holds every race of one round: a header row per race (``.race_num``,
``span.class_header`` "Class (Heat 2/4)" or "Class A1-Main", ``span.race_status`` "Status: Complete
(View Results)" with the result link, or "Status: Not Started" without one), a column header row
("Pos", "Car # / Driver", then Brand / transponder columns the sources disagree on), then one row
per grid slot, pole first; td1 holds ``span.car_num`` and the name as a bare text node.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lxml import etree

from mre_crawler.heat_items import HeatSheet, HeatSheetRace, LineupEntry
from mre_crawler.parsers.base import ParseContext, ParseResult
from mre_crawler.parsers.common import cell_text, clean, page_id, page_track_slug, parse_int, text_of, with_class
from mre_crawler.parsers.lineup_common import (
    check_positions, has_class, header_key, load_fitting, panel_heading, race_id_of, title_page_name,
)

PAGE_TYPE = "heat_sheet"

_TABLE = f"//table[{has_class('heat_sheet')}]"
# Compiled once (an XPath string per row or cell is compiled on every call).
_TABLES = etree.XPath(_TABLE)
_ROWS = etree.XPath("thead/tr | tbody/tr | tr")
_HEAT = re.compile(r"^(?P<cls>.*?)\s*\(\s*Heat\s+(?P<k>\d+)\s*/\s*(?P<n>\d+)\s*\)$", re.IGNORECASE)
# A main's label "<Class> A1-Main" / "<Class> LCQ" / "<Class> B-Final": the one spelling of it, read
# here and written by the sample-site generator (samplesite.heatsheets) so the two cannot drift.
MAIN_LABEL = re.compile(r"^(?P<cls>.*?)\s+(?:[A-Z]\d?-Main|LCQ|[A-Z]\d?-Final)$", re.IGNORECASE)
_STATUS = re.compile(r"Status:\s*(?P<status>[^(]*)", re.IGNORECASE)
_POS_HEADERS = ("pos", "position", "grid", "#")
_TX_HEADERS = ("tx #", "tx", "transponder", "transponder #")


def parse(body: bytes, url: str, meta: Mapping[str, Any] | None = None) -> ParseResult:
    tree, tables = load_fitting(body, url, PAGE_TYPE, _TABLES)
    ctx = ParseContext(PAGE_TYPE, url, meta)
    if not tables:
        raise ctx.fail("no table.heat_sheet", "heat_sheet")
    sheet = HeatSheet(
        track_slug=page_track_slug(ctx),
        event_id=_meta_int(ctx, "event_id"),
        heat_sheet_id=page_id(ctx, "heat_sheet_id"),
        round_name=_round_name(ctx, tree),
    )
    for table in tables:
        _read_table(ctx, table, sheet)
    if not sheet.races:
        raise ctx.fail("table.heat_sheet has no race blocks (no span.class_header)", "races")
    return ctx.result([sheet])


def _meta_int(ctx: ParseContext, key: str) -> int | None:
    raw = ctx.meta.get(key)
    return None if raw is None else ctx.read(key, str(raw), parse_int)


def _round_name(ctx: ParseContext, tree) -> str | None:
    heading = panel_heading(tree)
    m = re.match(r"^Race Line-?ups?\s*[-:]\s*(.+)$", heading, re.IGNORECASE)
    if m:
        return m[1]
    name = re.sub(r"\s*Heat Sheet$", "", title_page_name(tree), flags=re.IGNORECASE)
    if name:
        return name
    ctx.problem("round_name", heading or None, "no round name in the panel heading or the title")
    return None


def _read_table(ctx: ParseContext, table, sheet: HeatSheet) -> None:
    race: HeatSheetRace | None = None
    columns: dict[str, int] | None = None
    rows = _ROWS(table)
    # Each row's first class_header, from one XPath over the table rather than one per row (the
    # rows list keeps the row proxies alive, so an ancestor found here is the same object).
    first_header: dict = {}
    for el in with_class(table, "class_header"):
        for tr in el.iterancestors("tr"):
            first_header.setdefault(tr, el)
    for row in rows:
        header = first_header.get(row)
        if header is not None:
            if race is not None:
                _close(ctx, race)
            race = _race_header(ctx, row, clean(text_of(header)))
            sheet.races.append(race)
            columns = None
            continue
        cells = list(row.iterchildren("td"))  # as findall("td"), without ElementPath's per-call cost (~5x)
        if not cells:
            ths = list(row.iterchildren("th"))
            if ths:
                columns = _columns(ctx, [header_key(text_of(th)) for th in ths], race)
            continue
        if race is None:
            raise ctx.fail("a driver row before any race header", "races")
        if columns is None:
            raise ctx.fail(f"race {race.race_label!r}: driver rows without a column header row", "columns")
        if len(cells) < columns["_width"]:
            raise ctx.incomplete(f"a line-up row has {len(cells)} cells for {columns['_width']} columns",
                                 f"race[{race.race_label}].row")
        race.entries.append(_entry(ctx, race, columns, cells))
    if race is not None:
        _close(ctx, race)


def _race_header(ctx: ParseContext, row, label: str) -> HeatSheetRace:
    num = with_class(row, "race_num", "race_number")
    number = None
    if num:
        digits = re.search(r"\d+", text_of(num[0]))
        number = int(digits[0]) if digits else None
    if number is None:
        ctx.problem(f"race[{label}].race_number", None, "no race number in the race header")
    status_el = with_class(row, "race_status")
    status, race_id = "", None
    if status_el:
        m = _STATUS.search(clean(text_of(status_el[0])))
        status = clean(m["status"]) if m else clean(text_of(status_el[0]))
        race_id = race_id_of(status_el[0])
    else:
        ctx.problem(f"race[{label}].status", None, "no span.race_status")
    if status.lower().startswith("complete") and race_id is None:
        ctx.problem(f"race[{label}].race_id", status, "Complete without a result link")
    heat_number = heat_count = None
    m = _HEAT.match(label)
    if m:
        class_name, heat_number, heat_count = clean(m["cls"]), int(m["k"]), int(m["n"])
    else:
        mm = MAIN_LABEL.match(label)
        class_name = clean(mm["cls"]) if mm else None  # "Semi A (Odd)", "LCQ": the label names no class
    return HeatSheetRace(number, label, class_name, heat_number, heat_count, status, race_id)


def _columns(ctx: ParseContext, labels: list[str], race: HeatSheetRace | None) -> dict[str, int]:
    columns: dict[str, int] = {}
    for i, label in enumerate(labels):
        if label in _POS_HEADERS:
            columns.setdefault("pos", i)
        elif "driver" in label:
            columns.setdefault("driver", i)
        elif label in _TX_HEADERS:
            columns.setdefault("transponder", i)
    missing = [c for c in ("pos", "driver") if c not in columns]
    if missing:
        where = race.race_label if race else "?"
        raise ctx.fail(f"race {where!r}: line-up header {' | '.join(labels)!r} has no {missing} column", "columns")
    columns["_width"] = len(labels)
    return columns


def _entry(ctx: ParseContext, race: HeatSheetRace, columns: dict[str, int], cells) -> LineupEntry:
    where = f"race[{race.race_label}]"
    pos_text = cell_text(cells[columns["pos"]])
    # plain digits (the usual cell) read as parse_int would; anything else goes through ctx.read
    pos = int(pos_text) if pos_text.isdigit() and pos_text.isascii() else ctx.read(
        f"{where}.grid_position", pos_text, parse_int, required=True)
    if pos is None:
        raise ctx.fail(f"{where}: grid position {pos_text!r} is not a number", "grid_position")
    driver_cell = cells[columns["driver"]]
    car = with_class(driver_cell, "car_num")
    car_number = cell_text(car[0]) if car else None
    # The name is the bare text after span.car_num (FIELD-GUIDE §11.3); hidden spans are sort keys.
    parts = []
    if driver_cell.text:
        parts.append(driver_cell.text)
    for child in driver_cell:
        if child not in car and "hidden" not in (child.get("class") or "").split():
            parts.append(text_of(child))
        if child.tail:
            parts.append(child.tail)
    name = clean(" ".join(parts))
    if not name:
        raise ctx.incomplete(f"grid slot {pos} has no driver name", f"{where}[{pos}].driver")
    tx = None
    if "transponder" in columns:
        tx = cell_text(cells[columns["transponder"]]) or None
    return LineupEntry(pos, car_number or None, name, tx)


def _close(ctx: ParseContext, race: HeatSheetRace) -> None:
    check_positions(ctx, [e.grid_position for e in race.entries], f"race[{race.race_label}].grid")
