"""A points page: /results/?p=view_points&id=<points_id> -> one :class:`PointsTable`.

Layout (FIELD-GUIDE §7; qual-points-psycho-nitro-blast-2026.html): the panel caption names the
scheme (``Qual Points (best 1 of 2)``); one ``table.leaderboard_points`` per class in the entry
list's tab layout, with ``span.class_header`` (class) and ``span.class_sub_header`` (tie-break
rule) and the columns ``# | Driver | Result | Tie Breaker | Round 1 | Round 2 …``. A round cell
reads ``points : laps/time`` with an optional `` (DNS)``/`` (DNF)``; the counted round is in ``<b>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lxml import etree
from lxml.etree import _Element as HtmlElement  # a plain element: the tree is built without lxml.html's classes

from mre_crawler.items import PointsRound, PointsRow, PointsTable
from mre_crawler.parsers.base import ParseContext, ParseResult
from mre_crawler.parsers.common import clean, page_id, page_track_slug, parse_int, parse_laps_time
from mre_crawler.parsers.detect import load_plain_page

PAGE_TYPE = "qual_points"

# What lxml.html's ``text_content()`` runs, usable on a plain element.
_text = etree.XPath("string()", smart_strings=False)

_TABLES = '//table[contains(concat(" ", normalize-space(@class), " "), " leaderboard_points ")]'
_ROUND_HEADER = re.compile(r"^Round\s+(\d+)$", re.IGNORECASE)
_ROUND_CELL = re.compile(r"^(?P<points>\d+)\s*:\s*(?P<laps_time>.+)$")
# The round cell as LiveRC prints nearly every one (``47 : 5/3:52.857 (DNF)``, ``52 : 6/56.135``),
# read in one match; any other text takes _ROUND_CELL and parse_laps_time, which give the same values.
_USUAL_ROUND = re.compile(r"([0-9]+) : ([0-9]+)/(?:([0-9]{1,2}):)?([0-9]+(?:\.[0-9]+)?)(?: \((DNS|DNF)\))?")


def parse(body: bytes, url: str, meta: Mapping[str, Any] | None = None) -> ParseResult:
    # A plain lxml.etree tree (then check_not_error_page): element access skips lxml.html's
    # per-element class lookup, a large share of this 700-row page's cost.
    tree = load_plain_page(body, url, PAGE_TYPE)
    ctx = ParseContext(PAGE_TYPE, url, meta)
    tables = tree.xpath(_TABLES)
    if not tables:
        raise ctx.fail("no table.leaderboard_points", "points")
    points = PointsTable(
        track_slug=page_track_slug(ctx),
        # The page shows neither its event nor its own id (FIELD-GUIDE §0): both come from the crawler.
        event_id=_meta_int(ctx, "event_id"),
        points_id=page_id(ctx, "points_id"),
        caption=_caption(ctx, tables[0]),
        tie_breaker_rule=None,
    )
    rules: list[str] = []
    for table in tables:
        _read_class(ctx, table, points, rules)
    if rules:
        points.tie_breaker_rule = rules[0]
        if len(set(rules)) > 1:
            ctx.problem("tie_breaker_rule", " | ".join(dict.fromkeys(rules)), "classes use different rules; the first is kept")
    return ctx.result([points])


def _meta_int(ctx: ParseContext, key: str) -> int | None:
    raw = ctx.meta.get(key)
    return None if raw is None else ctx.read(key, str(raw), parse_int)


def _caption(ctx: ParseContext, first_table: HtmlElement) -> str | None:
    headings = first_table.xpath('ancestor::div[contains(concat(" ", normalize-space(@class), " "), " panel ")][1]'
                                 '/div[contains(concat(" ", normalize-space(@class), " "), " panel-heading ")]')
    caption = clean(_text(headings[0])) if headings else ""
    if not caption:
        ctx.problem("caption", None, "no panel caption above the points tables")
    return caption or None


def _read_class(ctx: ParseContext, table: HtmlElement, points: PointsTable, rules: list[str]) -> None:
    header = table.xpath('thead//*[contains(concat(" ", normalize-space(@class), " "), " class_header ")]')
    class_name = clean(_text(header[0])) if header else ""
    where = f"class[{class_name or table.get('id')}]"
    if not class_name:
        ctx.problem(f"{where}.class_name", None, "missing class header; the class is skipped")
        return
    sub = table.xpath('thead//*[contains(concat(" ", normalize-space(@class), " "), " class_sub_header ")]')
    rule = clean(_text(sub[0])) if sub else ""
    if rule:
        rules.append(re.sub(r"^Tie Breaker:\s*", "", rule, flags=re.IGNORECASE))
    columns = _columns(ctx, table, where)
    if columns is None:
        return
    # Positions read once per table, not per row: the fixed columns, then (number, index) per round.
    fixed = (columns["#"], columns["driver"], columns["result"], columns["tie breaker"])
    rounds = [(int(name.split()[1]), index) for name, index in columns.items() if name.startswith("round ")]
    width = len(columns)
    for row in table.iterfind("tbody/tr"):
        points_row = _row(ctx, where, class_name, width, fixed, rounds, row)
        if points_row is not None:
            points.rows.append(points_row)


def _columns(ctx: ParseContext, table: HtmlElement, where: str) -> dict[str, int] | None:
    """Column positions by header text, so a layout with more rounds still reads right."""
    labels = [clean(_text(th)) for th in table.xpath("thead/tr[last()]/th")]
    columns: dict[str, int] = {}
    for index, label in enumerate(labels):
        m = _ROUND_HEADER.match(label)
        columns[f"round {m[1]}" if m else label.lower()] = index
    missing = [name for name in ("#", "driver", "result", "tie breaker") if name not in columns]
    if missing:
        ctx.problem(f"{where}.columns", " | ".join(labels), f"missing columns {missing}; the class is skipped")
        return None
    return columns


def _row(ctx: ParseContext, where: str, class_name: str, width: int, fixed: tuple[int, int, int, int],
         rounds_at: list[tuple[int, int]], row: HtmlElement) -> PointsRow | None:
    cells = list(row.iterchildren("td"))  # as findall("td"), without ElementPath's per-call cost (~5x)
    if len(cells) < width:
        # A row short of cells: the page was cut inside this table (issue 9), not a row to skip.
        raise ctx.incomplete(f"a points row has {len(cells)} cells for {width} columns", f"{where}.row")
    # Each cell's text once (the round cells are read again below from these texts).
    # clean(), inlined: ~6 cells a row; a cell with no child elements is its own text (no XPath call)
    texts = [" ".join((_text(c) if len(c) else c.text or "").split()) for c in cells]
    pos_text = texts[fixed[0]]
    # Plain digits (nearly every row) skip the general reader; it gives the same int.
    if pos_text.isdigit() and pos_text.isascii():
        position: int | None = int(pos_text)
    else:
        position = ctx.read(f"{where}.position", pos_text, parse_int, required=True)
    if position is None:
        return None
    # Names are kept whole, digits included ("PHILO 5 HATCH", "BOB WALKER 3RD").
    driver = texts[fixed[1]]
    if not driver:
        ctx.problem(f"{where}[{position}].driver", None, "row skipped: no driver name")
        return None
    # an empty cell: the driver has no result in this round
    rounds = [_round(ctx, where, position, number, cells[index], texts[index]) for number, index in rounds_at if texts[index]]
    result_text = texts[fixed[2]]
    if result_text.isdigit() and result_text.isascii():
        result_points: int | None = int(result_text)
    else:
        result_points = ctx.read(f"{where}[{position}].result_points", result_text, parse_int)
    # (class_name, position, driver_name, result_points, tie_breaker_raw, rounds), positional: ~700 rows a page
    return PointsRow(class_name, position, driver, result_points, texts[fixed[3]] or None, rounds)


def _round(ctx: ParseContext, where: str, position: int, number: int, cell: HtmlElement, text: str) -> PointsRound:
    """``47 : 5/3:52.857 (DNF)``; totals under a minute have no minutes (``1/56.135``). ``text``: the
    cell's cleaned text, not empty."""
    counted = bool(len(cell)) and next(cell.iter("b"), None) is not None  # a cell with no children holds no <b>
    usual = _USUAL_ROUND.fullmatch(text)
    if usual is not None:
        points, laps, minutes, seconds, flag = usual.groups()
        total = float(seconds)
        if minutes is None:
            return PointsRound(number, int(points), int(laps), total, flag, counted)
        if total < 60:  # as common.parse_duration computes m:s
            return PointsRound(number, int(points), int(laps), round(int(minutes) * 60 + total, 6), flag, counted)
    m = _ROUND_CELL.match(text)
    try:
        if not m:
            raise ValueError('not "points : laps/time"')
        laps, total, flag = parse_laps_time(m["laps_time"])
    except ValueError as exc:
        # Keep the round (and which one counted) with its values unknown.
        ctx.problem(f"{where}[{position}].round_{number}", text, f"unreadable: {exc}")
        return PointsRound(number, None, None, None, None, counted)
    return PointsRound(number, int(m["points"]), laps, total, flag, counted)
