"""The overall final ranking: /results/?p=event_overall_ranking&id=<event_id> -> one :class:`OverallRanking`.

FIELD-GUIDE §11.5: one table per class (tabs or stacked), the first thead row a ``div.class_header``
with the class, the last ``Pos, Brand, Country, Driver, Result, Race`` ("Position" too; "Laps/Time"
where there is no "Result"). Pos is one sequence per class across all its mains. Result reads
``[n] laps/time`` (n: the place within that main) or ``[x] [y] laps/time`` on multi-main classes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mre_crawler.heat_items import OverallRanking, OverallRow
from mre_crawler.parsers.base import ParseContext, ParseResult
from mre_crawler.parsers.common import cell_text, clean, page_id, page_track_slug, parse_laps_time
from mre_crawler.parsers.lineup_common import (
    LAST_HEADER_CELLS, THEAD_DIV_CLASS_HEADER,
    class_rows, class_tables, has_class, header_key, load_fitting, pane_class_names, race_id_of, ranking_row_start,
)

PAGE_TYPE = "overall_ranking"

HEADERS = {"pos": "pos", "position": "pos", "#": "pos", "driver": "driver", "result": "result",
           "laps/time": "result", "race": "race", "brand": None, "country": None}
REQUIRED = ("pos", "driver", "result", "race")
_RESULT = re.compile(r"^(?:\[(?P<a>\d+)\]\s*)?(?:\[(?P<b>\d+)\]\s*)?(?P<lt>.*)$")


def _labels(table) -> list[str]:
    return [header_key(cell_text(th)) for th in LAST_HEADER_CELLS(table)]


def _is_ranking(table) -> bool:
    labels = set(_labels(table))
    return "driver" in labels and "race" in labels and ("result" in labels or "laps/time" in labels)


def _ranking_tables(tree) -> list:
    return [t for t in tree.iter("table") if _is_ranking(t)]


def _fitting(tree) -> list | None:
    """The ranking tables when one has a ``div.class_header`` in its head (the page fits), else None."""
    tables = _ranking_tables(tree)
    return tables if any(THEAD_DIV_CLASS_HEADER(t) for t in tables) else None


def parse(body: bytes, url: str, meta: Mapping[str, Any] | None = None) -> ParseResult:
    tree, tables = load_fitting(body, url, PAGE_TYPE, _fitting)
    ctx = ParseContext(PAGE_TYPE, url, meta)
    if tables is None:
        tables = _ranking_tables(tree)
    if not tables:
        raise ctx.fail("no overall ranking table (a thead with Driver, Result and Race)", "tables")
    ranking = OverallRanking(track_slug=page_track_slug(ctx), event_id=page_id(ctx, "event_id"))
    panes = pane_class_names(tree)
    for class_name, table in class_tables(ctx, tables, panes, "an overall ranking table"):
        columns = _columns(ctx, table, class_name)
        ranking.rows.extend(class_rows(ctx, table, class_name, lambda row: _row(ctx, class_name, columns, row)))
    return ctx.result([ranking])


def _columns(ctx: ParseContext, table, class_name: str) -> dict[str, int]:
    labels = _labels(table)
    columns: dict[str, int] = {}
    for i, label in enumerate(labels):
        if label not in HEADERS:
            ctx.problem(f"class[{class_name}].columns", label, "unknown column, left out")
        elif HEADERS[label]:
            columns.setdefault(HEADERS[label], i)
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        raise ctx.fail(f"class {class_name!r}: header {' | '.join(labels)!r} lacks {missing}", "columns")
    columns["_width"] = len(labels)
    return columns


def _row(ctx: ParseContext, class_name: str, columns: dict[str, int], row) -> OverallRow:
    where = f"class[{class_name}]"
    cells, text, pos, name = ranking_row_start(ctx, where, columns, row)
    raw = text["result"]
    main_place = points = laps = total = flag = None
    m = _RESULT.match(raw)
    if m["b"] is not None:
        points, main_place = int(m["a"]), int(m["b"])
    elif m["a"] is not None:
        main_place = int(m["a"])
    lt = clean(m["lt"])
    if lt.upper() in ("DNS", "DNF"):
        flag = lt.upper()
    elif lt:
        try:
            laps, total, flag = parse_laps_time(lt)
        except ValueError as exc:
            ctx.problem(f"{where}[{pos}].result", raw, f"unreadable: {exc}")
    race_cell = cells[columns["race"]]
    return OverallRow(class_name, pos, name, main_place, points, laps, total, flag, raw,
                      text["race"] or None, race_id_of(race_cell))
