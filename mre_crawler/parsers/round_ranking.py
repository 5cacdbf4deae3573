"""A round ranking: /results/?p=view_round_ranking&id=<round>&o=<mode> -> one :class:`RoundRanking`.

FIELD-GUIDE §11.4: one table per class (Bootstrap tabs, or stacked tables with a ``class_header``),
headers Pos, Driver, Laps/Time, Top 2 Consecutive, Top 3 Consecutive, Top 5 Average, Fastest Lap,
Avg Lap, Heat, in an order that follows the ranking mode; so every column is found by its header
text. Each metric cell starts with a hidden sort key (``<div class="hidden">0020/9999</div>``),
left out; a metric the driver did not reach is blank; the Heat cell ``4 / 5`` links the race.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from mre_crawler.heat_items import RankingRow, RoundRanking
from mre_crawler.parsers.base import ParseContext, ParseResult
from mre_crawler.parsers.common import (
    PLAIN_DECIMAL, cell_text, page_id, page_track_slug, parse_duration, parse_int, parse_laps_time, url_query_value,
)
from mre_crawler.parsers.lineup_common import (
    HEADER_CELLS, LAST_HEADER_CELLS,
    class_rows, class_tables, header_key, load_fitting, pane_class_names, panel_heading, race_id_of,
    ranking_row_start, title_page_name,
)

PAGE_TYPE = "round_ranking"

# header text (folded) -> field; "pos"/"position" both occur (FIELD-GUIDE §11, variants)
HEADERS = {
    "pos": "pos", "position": "pos", "#": "pos",
    "driver": "driver",
    "laps/time": "laps_time",
    "top 2 consecutive": "top2_consecutive",
    "top 3 consecutive": "top3_consecutive",
    "top 5 average": "avg_top5",
    "fastest lap": "fastest_lap",
    "avg lap": "avg_lap", "average lap": "avg_lap",
    "heat": "heat",
}
REQUIRED = ("pos", "driver", "laps_time", "heat")
_METRICS = ("top2_consecutive", "top3_consecutive", "avg_top5", "fastest_lap", "avg_lap")
_HEAT = re.compile(r"^(\d+)\s*/\s*(\d+)$")


def _labelled(tree) -> list[tuple[Any, set[str]]]:
    """Each table with its (folded) header labels."""
    return [(table, {header_key(cell_text(th)) for th in HEADER_CELLS(table)}) for table in tree.iter("table")]


def _fitting(tree) -> list[tuple[Any, set[str]]] | None:
    """The labelled tables when one has Laps/Time and Heat headers (the page fits), else None."""
    labelled = _labelled(tree)
    return labelled if any("laps/time" in labels and "heat" in labels for _, labels in labelled) else None


def parse(body: bytes, url: str, meta: Mapping[str, Any] | None = None) -> ParseResult:
    tree, labelled = load_fitting(body, url, PAGE_TYPE, _fitting)
    ctx = ParseContext(PAGE_TYPE, url, meta)
    tables = [table for table, labels in labelled or _labelled(tree) if "heat" in labels and "driver" in labels]
    if not tables:
        raise ctx.fail("no ranking table (a thead with Driver and Heat headers)", "tables")
    mode = url_query_value(unquote(url), "o")
    ranking = RoundRanking(
        track_slug=page_track_slug(ctx),
        event_id=None if ctx.meta.get("event_id") is None else ctx.read("event_id", str(ctx.meta["event_id"]), parse_int),
        ranking_id=page_id(ctx, "ranking_id"),
        mode=mode,
        round_name=_round_name(ctx, tree),
    )
    panes = pane_class_names(tree)
    for class_name, table in class_tables(ctx, tables, panes, "a ranking table"):
        columns = _columns(ctx, table, class_name)
        if not ranking.columns:
            ranking.columns = [label for label, field in columns["_labels"] if field not in ("pos", "driver", "heat")]
        ranking.rows.extend(class_rows(ctx, table, class_name, lambda row: _row(ctx, class_name, columns, row)))
    return ctx.result([ranking])


def _round_name(ctx: ParseContext, tree) -> str | None:
    for text in (panel_heading(tree), title_page_name(tree)):
        m = re.match(r"^(.*?)\s+Rankings?$", text, re.IGNORECASE)
        if m:
            return m[1]
    ctx.problem("round_name", None, "no '<round> Rankings' heading or title")
    return None


def _columns(ctx: ParseContext, table, class_name: str) -> dict:
    labels = [cell_text(th) for th in LAST_HEADER_CELLS(table)]
    columns: dict = {"_labels": []}
    for i, label in enumerate(labels):
        field = HEADERS.get(label.lower())
        if field is None:
            ctx.problem(f"class[{class_name}].columns", label, "unknown column, left out")
            continue
        columns.setdefault(field, i)
        columns["_labels"].append((label, field))
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        raise ctx.fail(f"class {class_name!r}: header {' | '.join(labels)!r} lacks {missing}", "columns")
    columns["_width"] = len(labels)
    return columns


def _time(ctx: ParseContext, where: str, pos: int, field: str, text: str) -> float | None:
    """A metric cell (visible text, already cleaned): plain seconds (most cells) read as
    parse_duration reads them; anything else through ctx.read, which names the field on failure."""
    if not text:
        return None
    if PLAIN_DECIMAL.fullmatch(text):
        return float(text)
    return ctx.read(f"{where}[{pos}].{field}", text, parse_duration)


def _row(ctx: ParseContext, class_name: str, columns: dict, row) -> RankingRow:
    where = f"class[{class_name}]"
    cells, texts, pos, name = ranking_row_start(ctx, where, columns, row)
    laps = total = flag = None
    lt = texts["laps_time"]
    if lt.upper() in ("DNS", "DNF"):
        flag = lt.upper()
    elif lt:
        try:
            laps, total, flag = parse_laps_time(lt)
        except ValueError as exc:
            ctx.problem(f"{where}[{pos}].laps_time", lt, f"unreadable: {exc}")
    m = _HEAT.match(texts["heat"])
    if texts["heat"] and not m:
        ctx.problem(f"{where}[{pos}].heat", texts["heat"], 'not "k / n"')
    metrics = {f: (_time(ctx, where, pos, f, texts[f]) if f in texts else None) for f in _METRICS}
    return RankingRow(
        class_name=class_name, position=pos, driver_name=name, laps=laps, total_time=total, flag=flag,
        heat_number=int(m[1]) if m else None, heat_count=int(m[2]) if m else None,
        race_id=race_id_of(cells[columns["heat"]]), **metrics,
    )
