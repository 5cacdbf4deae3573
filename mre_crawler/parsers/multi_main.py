"""A multi-main page: /results/?p=view_multi_main_result&id=<n> -> one :class:`MultiMainResult`.

No saved copy of this page exists (FIELD-GUIDE §11.2, §11.7): the layout is what public code that
reads it expects, so columns are found by header text and every variant §11.2 names is accepted:

- ``table.multi_main`` (or any table whose class contains ``multi_main``); the header row is the
  last ``thead`` row with at least 5 ``th`` (a colspan title row sits above it).
- headers ``Pos``/``Position``, ``Seeded``, ``Driver``, ``Points``, then one per leg shaped
  letter+digit (``A1``… on an A page, ``B1``… on a B page).
- ``div.class_sub_header``: ``Tie Breaker: IFMAR`` and ``Completed: 3 of 3``, on two lines or on
  one (the trap where a greedy capture swallows "Completed: …").
- leg cells ``1st (1pts) : 16/10:01.133`` (``pt`` or ``pts``), an optional ``(DNS)``/``(DNF)``;
  ``0/0.000``, ``DNS`` or an empty cell is a leg the driver sat out; a DNF with laps ran it.
- hidden sort keys (``<div class="hidden">``) before visible values are ignored.

A page that does not fit (no table, a missing column, leg labels of another letter, a cell that is
not a leg cell, positions that do not run 1..n) raises: it goes to quarantine with the reason,
never half read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from mre_crawler.items import MultiMainLeg, MultiMainResult, MultiMainRow
from mre_crawler.parsers.base import ParseContext, ParseResult
from mre_crawler.parsers.common import cell_text, clean, parse_int, parse_laps_time, text_of, with_class
from mre_crawler.parsers.detect import load_plain_page
from mre_crawler.parsers.ids import page_ids

PAGE_TYPE = "multi_main"

_TABLES = etree.XPath('//table[contains(@class, "multi_main")]')
_HEAD_ROWS = etree.XPath("thead/tr")
_BODY_ROWS = etree.XPath("tbody/tr")
_ALL_ROWS = etree.XPath(".//tr")
_TITLE = re.compile(r"^(?P<cls>.+?)\s+(?:(?P<fmt>Double|Triple|Quad|Quadruple)\s+)?(?P<letter>[A-Z])-Main(?:\s+Results)?$",
                    re.IGNORECASE)
_LEG_HEADER = re.compile(r"^([A-Z])(\d{1,2})$", re.IGNORECASE)
_TIE = re.compile(r"Tie\s*Breaker:\s*(.+?)\s*(?=Completed:|$)", re.IGNORECASE | re.MULTILINE)
_COMPLETED = re.compile(r"Completed:\s*(\d+)\s*of\s*(\d+)", re.IGNORECASE)
_LEG_CELL = re.compile(r"^(?P<place>\d+)(?:st|nd|rd|th)\s*\(\s*(?P<pts>\d+)\s*pts?\s*\)\s*:\s*(?P<lt>.+)$",
                       re.IGNORECASE)
_SAT_OUT = re.compile(r"^0\s*/\s*0(?:\.0+)?$")
# The leg cell as the page prints nearly every one (``1st (1pts) : 17/10:22.545``, ``11th (11pts) :
# 6/3:48.611 (DNF)``), read in one match; any other text (a lap count of 0, other spacing or case,
# seconds past 59) takes _LEG_CELL and parse_laps_time, which give the same values.
_USUAL_LEG = re.compile(r"([0-9]+)(?:st|nd|rd|th) \(([0-9]+)pts?\) : ([1-9][0-9]*)/(?:([0-9]+):)?([0-9]+(?:\.[0-9]+)?)"
                        r"(?: \((DNS|DNF)\))?")
_HEADERS = {"pos": "pos", "position": "pos", "seeded": "seeded", "seed": "seeded", "driver": "driver",
            "points": "points", "pts": "points"}


def parse(body: bytes, url: str, meta: Mapping[str, Any] | None = None) -> ParseResult:
    ctx = ParseContext(PAGE_TYPE, url, meta)
    ids = page_ids(ctx, PAGE_TYPE, required=("track_slug", "multi_main_id"), optional=("event_id",))
    tree = load_plain_page(body, url, PAGE_TYPE)
    # _TABLES(tree) by a tag walk: //table[contains(@class, "multi_main")]
    tables = [el for el in tree.iter("table") if "multi_main" in (el.get("class") or "")]
    if not tables:
        raise ctx.fail("no table.multi_main", "multi_main")
    if len(tables) > 1:
        raise ctx.fail(f"{len(tables)} multi_main tables: one class and main per page expected", "multi_main")
    table = tables[0]
    # The class header and sub-header by one lookup (what with_class gives each name alone).
    found = [(el, el.get("class")) for el in with_class(table, "class_header", "class_sub_header", token=False)]
    class_name, fmt, letter = _title(ctx, tree, [el for el, cls in found if "class_header" in cls])
    rule, completed, scheduled = _sub_header(ctx, [el for el, cls in found if "class_sub_header" in cls])
    columns, legs = _columns(ctx, table, letter)
    if scheduled is not None and scheduled != len(legs):
        raise ctx.fail(f"'Completed: {completed} of {scheduled}' but {len(legs)} leg columns", "multi_main.legs")
    if completed is not None and scheduled is not None and completed > scheduled:
        raise ctx.fail(f"'Completed: {completed} of {scheduled}'", "multi_main.completed")
    x = MultiMainResult(
        track_slug=ids["track_slug"], event_id=ids.get("event_id"), multi_main_id=ids["multi_main_id"],
        class_name=class_name, main_letter=letter, main_format=fmt, leg_labels=[label for label, _ in legs],
        tie_breaker_rule=rule, completed_legs=completed, scheduled_legs=scheduled,
    )
    # _BODY_ROWS(table) ("tbody/tr") without the XPath call
    body_rows = [tr for tbody in table.iterchildren("tbody") for tr in tbody.iterchildren("tr")] or [tr for tr in _ALL_ROWS(table) if tr.find("td") is not None]
    width = max([*columns.values(), *(i for _, i in legs)]) + 1
    wanted = sorted({*columns.values(), *(i for _, i in legs)})  # only these cells are read
    numbered = [(number, label, i) for number, (label, i) in enumerate(legs, 1)]
    x.rows = [_row(ctx, tr, n, columns, numbered, width, wanted) for n, tr in enumerate(body_rows, 1)]
    _check_whole(ctx, x)
    return ctx.result([x])


def _text(cell) -> str:
    """The visible text of a cell, as ``common.split_hidden(cell)[1]`` reads it, in one walk and no
    XPath: with no ``.hidden`` element the cell's whole text glued, else its parts other than the
    hidden elements joined by spaces. A cell with no child elements (nearly all) is its own text."""
    if not len(cell):
        text = cell.text
        return " ".join(text.split()) if text else ""
    parts: list[str] = []
    hidden = False

    def walk(node) -> None:
        nonlocal hidden
        for child in node:
            cls = child.get("class")
            if cls and "hidden" in cls.split():
                hidden = True
            else:
                if child.text and isinstance(child.tag, str):
                    parts.append(child.text)
                if len(child):
                    walk(child)
            if child.tail:
                parts.append(child.tail)

    if cell.text:
        parts.append(cell.text)
    walk(cell)
    return clean((" " if hidden else "").join(parts))


def _title(ctx: ParseContext, tree: HtmlElement, headers: list[HtmlElement]) -> tuple[str, str | None, str]:
    """Class, "Triple"/"Double" and the main letter from ``<Class> Triple A-Main Results`` (the
    table's class header, else the ``<title>`` part before ``LiveRC``; the title is read only when
    no header names the class)."""
    for el in headers:
        m = _TITLE.match(clean(text_of(el)))
        if m:
            return m["cls"].strip(), m["fmt"].title() if m["fmt"] else None, m["letter"].upper()
    title = next(tree.iter("title"), None)  # .find(".//title") without ElementPath
    for text in [p.strip() for p in clean(text_of(title)).split("::")] if title is not None else []:
        m = _TITLE.match(text)
        if m:
            return m["cls"].strip(), m["fmt"].title() if m["fmt"] else None, m["letter"].upper()
    raise ctx.fail("no '<Class> Triple A-Main Results' header or title", "multi_main.class_name")


def _sub_header(ctx: ParseContext, subs: list[HtmlElement]) -> tuple[str | None, int | None, int | None]:
    lines: list[str] = []
    for sub in subs:
        for br in sub.iter("br"):
            br.tail = "\n" + (br.tail or "")
        lines.append(text_of(sub))
    text = "\n".join(lines)
    tie = _TIE.search(text)
    done = _COMPLETED.search(text)
    if not tie:
        ctx.problem("multi_main.tie_breaker_rule", clean(text) or None, "no 'Tie Breaker:' in the sub-header")
    if not done:
        ctx.problem("multi_main.completed", clean(text) or None, "no 'Completed: X of Y' in the sub-header")
    return (clean(tie[1]) or None if tie else None,
            int(done[1]) if done else None, int(done[2]) if done else None)


def _columns(ctx: ParseContext, table: HtmlElement, letter: str) -> tuple[dict[str, int], list[tuple[str, int]]]:
    # _HEAD_ROWS(table) ("thead/tr") without the XPath call
    rows = [tr for thead in table.iterchildren("thead") for tr in thead.iterchildren("tr")
            if len(list(tr.iterchildren("th"))) >= 5]
    if not rows:
        raise ctx.fail("no header row with Pos, Seeded, Driver, Points and leg columns", "multi_main.columns")
    labels = [cell_text(th) for th in rows[-1].iterchildren("th")]
    columns: dict[str, int] = {}
    legs: list[tuple[str, int]] = []
    for i, label in enumerate(labels):
        m = _LEG_HEADER.match(label)
        if m:
            if m[1].upper() != letter:
                raise ctx.fail(f"leg column {label!r} on a {letter}-main page", "multi_main.columns")
            legs.append((label.upper(), i))
        elif label.lower() in _HEADERS:
            columns.setdefault(_HEADERS[label.lower()], i)
    missing = [c for c in ("pos", "driver", "points") if c not in columns]
    if missing or not legs:
        raise ctx.fail(f"columns {' | '.join(labels)!r}: missing {missing or ['leg columns']}", "multi_main.columns")
    numbers = [int(label[1:]) for label, _ in legs]
    if numbers != list(range(1, len(legs) + 1)):
        raise ctx.fail(f"leg columns {[l for l, _ in legs]} are not {letter}1..{letter}{len(legs)}", "multi_main.columns")
    return columns, legs


def _row(ctx: ParseContext, tr: HtmlElement, n: int, columns: dict[str, int], legs: list[tuple[int, str, int]],
         width: int, wanted: list[int]) -> MultiMainRow:
    """One driver's row; ``legs`` holds (leg number, label, column) per leg."""
    cells = list(tr.iterchildren("td"))  # as findall("td"), without ElementPath's per-call cost (~5x)
    if len(cells) < width:
        raise ctx.incomplete(f"row {n} has {len(cells)} cells for {width} columns", f"multi_main.row[{n}]")
    if any(len(cell) for cell in cells):
        texts = {i: _text(cells[i]) for i in wanted}
    else:  # no cell holds an element (no hidden sort keys): each text is _text's, read inline
        texts = [" ".join(text.split()) if (text := cell.text) else "" for cell in cells]
    try:
        position = _int(texts[columns["pos"]])
        points = _int(texts[columns["points"]]) if texts[columns["points"]] else None
        seeded_text = texts[columns["seeded"]] if "seeded" in columns else ""
        seeded = _int(seeded_text) if seeded_text else None
    except ValueError as exc:
        raise ctx.fail(f"row {n}: {exc}", f"multi_main.row[{n}]") from None
    driver = texts[columns["driver"]]
    if not driver:
        raise ctx.fail(f"row {n}: no driver name", f"multi_main.row[{n}]")
    parts = []
    for number, label, i in legs:
        usual = _USUAL_LEG.fullmatch(text := texts[i])  # _leg's first step, inline: nearly every cell
        if usual is not None:
            place, pts, laps, minutes, seconds, flag = usual.groups()
            if minutes is None:
                parts.append(MultiMainLeg(number, label, int(place), int(pts), int(laps), float(seconds), flag, flag == "DNS"))
                continue
            total = float(seconds)
            if total < 60:
                parts.append(MultiMainLeg(number, label, int(place), int(pts), int(laps), round(int(minutes) * 60 + total, 6),
                                          flag, flag == "DNS"))
                continue
        parts.append(_leg(ctx, n, number, label, text))
    return MultiMainRow(position, seeded, driver, points, parts)


def _int(text: str) -> int:
    """``parse_int``, with plain digits (every cell seen) read directly; the same int either way."""
    return int(text) if text.isdigit() and text.isascii() else parse_int(text)


def _leg(ctx: ParseContext, n: int, number: int, label: str, text: str) -> MultiMainLeg:
    usual = _USUAL_LEG.fullmatch(text)
    if usual is not None:
        place, pts, laps, minutes, seconds, flag = usual.groups()
        if minutes is None:
            return MultiMainLeg(number, label, int(place), int(pts), int(laps), float(seconds), flag, flag == "DNS")
        total = float(seconds)
        if total < 60:  # as common.parse_duration computes m:s
            return MultiMainLeg(number, label, int(place), int(pts), int(laps), round(int(minutes) * 60 + total, 6),
                                flag, flag == "DNS")
    where = f"multi_main.row[{n}].{label}"  # only the failures below read it
    if not text:
        return MultiMainLeg(number, label, None, None, None, None, None, True)
    if text.upper() == "DNS":
        return MultiMainLeg(number, label, None, None, None, None, "DNS", True)
    m = _LEG_CELL.match(text)
    if not m:
        raise ctx.fail(f"leg cell {text!r} is not 'Nth (Npts) : laps/time'", where)
    lt = m["lt"].strip()
    if _SAT_OUT.match(lt):
        return MultiMainLeg(number, label, int(m["place"]), int(m["pts"]), 0, 0.0, None, True)
    try:
        laps, total, flag = parse_laps_time(lt)
    except ValueError as exc:
        raise ctx.fail(f"leg cell {text!r}: {exc}", where) from None
    flag = flag.upper() if flag else None
    sat_out = flag == "DNS" or (laps == 0 and not total)
    return MultiMainLeg(number, label, int(m["place"]), int(m["pts"]), laps, total, flag, sat_out)


def _check_whole(ctx: ParseContext, x: MultiMainResult) -> None:
    """Positions 1..n once each, and no leg run after the class's completed legs."""
    if not x.rows:
        raise ctx.incomplete("no driver rows", "multi_main.rows")
    positions = sorted(r.position for r in x.rows)
    if positions != list(range(1, len(x.rows) + 1)):
        raise ctx.incomplete(f"positions {positions[:12]} do not run 1..{len(x.rows)}", "multi_main.rows")
    if x.completed_legs is not None:
        late = [(r.driver_name, g.leg_label) for r in x.rows for g in r.legs
                if g.leg_number > x.completed_legs and not g.sat_out]
        if late:
            raise ctx.fail(f"'Completed: {x.completed_legs}' but {late[0][0]} ran {late[0][1]}", "multi_main.legs")
