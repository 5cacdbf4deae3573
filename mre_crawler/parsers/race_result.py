"""Race result page: ``/results/?p=view_race_result&id=<race_id>`` -> one :class:`items.Race`.

Where things sit (FIELD-GUIDE §5, race-6304829.html):

- header: ``table.race_result thead`` holds ``div.race_num``, ``span.class_header`` (race name)
  and two ``span.class_sub_header`` (``Round: Main Events``, ``Length: 30:00 Timed``); the first
  ``div.panel-heading`` holds the caption tag ``[M1 Race #14]``.
- one ``tbody tr`` per driver. Columns are found by their header text, so a reordered or missing
  column is reported instead of read from the wrong cell.
- every lap comes from the ``racerLaps[<driver id>] = {...};`` script blocks, decoded by
  :mod:`mre_crawler.jsliteral`. LiveRC lists them in table-row order with the same names, which is
  how a DNS row (no ``data-driver-id``) gets its driver id back.

Traps handled here: hidden sort keys inside cells (``<div class="hidden">111.828</div>1:51.828``),
the ``<sup>`` lap number in Fastest Lap (``37.234<sup>10</sup>``), bare ``0`` Laps/Time on DNS
rows, Behind in seconds or laps, and lap 0 of racerLaps being the grid slot, not a lap.

LiveRC's stats are stored as published: in the nitro mains they leave out lap 1 (FIELD-GUIDE §5.2),
so they are never recomputed here.

Status rule (documented in the notes and README):

- ``did_not_start``: the Laps/Time cell says 0 laps.
- ``stopped_early``: the driver has more than one lap fewer than the winner **and** their total
  time is short of the race length (the printed ``Length``; when it is not printed, the winner's
  total time stands in). A driver one lap down, or one who ran the full length, ``finished``.
- ``finished``: everyone else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import lxml.etree

from mre_crawler import items
from mre_crawler.jsliteral import JSLiteralError, find_served_assignments
from mre_crawler.parsers import common
from mre_crawler.parsers.base import ParseContext, ParseResult
from mre_crawler.parsers.detect import find_marker, load_plain_page
from mre_crawler.parsers.ids import page_ids
from mre_crawler.parsers.racer_laps_served import SMALL_INTS, plausible_lap_times, read_served_blocks

PAGE_TYPE = "race_result"

Element = lxml.etree._Element  # a plain lxml tree: ~3x faster element access than lxml.html's


def _text(el: Element) -> str:
    """Whole-element text (what ``HtmlElement.text_content()`` gives)."""
    return "".join(el.itertext())


_CAPTION_TAG = re.compile(r"\[([^\[\]]+)\]\s*$")
_LENGTH = re.compile(r"(?P<time>[\d:.]+)\s*(?P<kind>[A-Za-z][A-Za-z ]*)?")

# Header text -> our column name. Matching is on the header with whitespace collapsed, lower case.
_COLUMNS = {
    "pos": "position",
    "driver": "driver",
    "qual": "qual",
    "laps/time": "laps_time",
    "behind": "behind",
    "fastest lap": "fastest_lap",
    "avg lap": "avg_lap",
    "avg top 5": "avg_top5",
    "avg top 10": "avg_top10",
    "avg top 15": "avg_top15",
    "top 3 consecutive": "top3_consecutive",
    "std. deviation": "std_deviation",
    "consistency": "consistency",
}
_REQUIRED_COLUMNS = ("position", "driver", "laps_time")


def parse(body: bytes, url: str, meta: Mapping[str, Any] | None = None) -> ParseResult:
    ctx = ParseContext(PAGE_TYPE, url, meta)
    ids = page_ids(ctx, PAGE_TYPE, required=("track_slug", "race_id"), optional=("event_id",))
    cut = _cut_out(body) if FRAGMENT_PATH else None
    if cut is not None:
        fragment, scripts = cut
        tree = load_plain_page(fragment, url, PAGE_TYPE)
    else:
        tree, scripts = load_plain_page(body, url, PAGE_TYPE), None
    table = find_marker(tree, PAGE_TYPE)
    if table is None:
        raise ctx.fail("no results table (table.race_result)", "race_result")
    race = items.Race(
        track_slug=ids["track_slug"],
        event_id=ids.get("event_id"),
        race_id=ids["race_id"],
        race_number=None,
        race_name="",
        round_name=None,
        length_seconds=None,
        length_kind=None,
        caption_tag=None,
    )
    _read_header(ctx, tree, table, race)
    columns = _column_index(ctx, table)
    race.results, table_rows, row_count = _read_rows(ctx, table, columns)
    _attach_laps(ctx, tree if scripts is None else scripts, race.results, table_rows, row_count)
    _assign_status(race)
    return ctx.result([race])


# --- the parts of the page this parser reads -------------------------------------------------
# About 80% of a race page is the racerLaps script (130 of race-6304829.html's 160 KB) and most of
# the rest is page furniture; the parser reads only the <title>, the first panel caption, the
# results table and the script's text. Building a tree of just the title, caption and table, and
# handing the script text to the decoder straight from the bytes, roughly halves the parse. Where
# any of those parts is not where LiveRC puts it, the whole page is parsed instead (same items:
# tests/test_parser_race_result_fast_paths.py compares both ways).
FRAGMENT_PATH = True
_TITLE = (b"<title", b"</title>")
_CAPTION = b'<div class="panel-heading"'
_TABLE = b'<table class="table table-striped race_result"'


def _cut_out(body: bytes) -> tuple[bytes, list[str]] | None:
    """(title + first caption + results table as a small document, [racerLaps script text]), or
    None when the page is not laid out as race-6304829.html is. Only short byte scans: a search
    through the 130 KB script for a multi-byte needle costs more than the rest of this."""
    if not isinstance(body, bytes):
        return None
    t0 = body.find(_TITLE[0])
    t1 = body.find(_TITLE[1], t0)
    c0 = body.find(_CAPTION, t1)
    c1 = body.find(b"</div>", c0)
    b0 = body.rfind(_TABLE)  # the results table follows the lap data, near the end of the page
    b1 = body.find(b"</table>", b0)
    if min(t0, t1, c0, c1, b0, b1) < 0 or b0 < c1 or body.find(b"panel-heading", t1, c0) >= 0:
        return None
    caption, table = body[c0:c1 + 6], body[b0:b1 + 8]
    if caption.count(b"<div") != 1 or table.count(b"<table") != 1 or b"racerLaps[" in body[b1:]:
        return None
    s0 = body.find(b"<script", c1, b0)
    s1 = body.find(b">", s0, b0)
    s2 = body.rfind(b"</script>", c1, b0)
    # One script between caption and table: no '<' inside it (a single-byte search is memchr-fast),
    # so no other tag, script or results table hides in it.
    if s0 < 0 or s1 < 0 or s2 < s1 or body.find(b"<", s1 + 1, s2) >= 0 or body.find(_TABLE, c1, s0) >= 0:
        return None
    if body.find(b"racerLaps[", s1, s2) < 0 or body.find(b"racerLaps[", c1, s0) >= 0:
        return None
    fragment = b"<html><head>" + body[t0:t1 + 8] + b"</head><body>" + caption + table + b"</body></html>"
    return fragment, [body[s1 + 1:s2].decode("utf-8", "replace")]


# --- header ----------------------------------------------------------------------------------
def _read_header(ctx: ParseContext, tree: Element, table: Element, race: items.Race) -> None:
    head = table.find("thead")
    scope = head if head is not None else table
    # One walk over the header instead of three XPath queries; "contains" is a substring test, as
    # XPath's contains(@class, ...) was.
    race_num = name_span = None
    sub_headers: list[Element] = []
    for el in scope.iter("div", "span"):
        cls = el.get("class")
        if not cls or el is scope:
            continue
        if el.tag == "div":
            if race_num is None and "race_num" in cls:
                race_num = el
            continue
        if name_span is None and "class_header" in cls:
            name_span = el
        if "class_sub_header" in cls:
            sub_headers.append(el)
    race.race_number = ctx.read("race.race_number", None if race_num is None else common.clean(_text(race_num)), common.parse_int)
    name = None if name_span is None else common.clean(_text(name_span))
    if not name:
        ctx.problem("race.race_name", name, "missing (thead span.class_header)")
    race.race_name = name or ""
    for sub in sub_headers:
        label, _, value = common.clean(_text(sub)).partition(":")
        label = label.strip().lower()
        if label == "round":
            race.round_name = value.strip() or None
        elif label == "length":
            race.length_seconds, race.length_kind = _read_length(ctx, value.strip())
    for div in tree.iter("div"):
        # The first panel caption: "1/8 Nitro Buggy A-Main Results [M1 Race #14]".
        cls = div.get("class")
        if cls and "panel-heading" in cls.split():
            m = _CAPTION_TAG.search(common.clean(_text(div)))
            race.caption_tag = m[1].strip() if m else None
            break


def _read_length(ctx: ParseContext, text: str) -> tuple[int | None, str | None]:
    """``30:00 Timed`` -> (1800, "Timed")."""
    m = _LENGTH.fullmatch(text)
    if not m:
        ctx.problem("race.length", text, "not 'm:ss Kind'")
        return None, None
    seconds = ctx.read("race.length", m["time"], common.parse_duration)
    return (None if seconds is None else round(seconds)), (m["kind"].strip() if m["kind"] else None)


def _column_index(ctx: ParseContext, table: Element) -> dict[str, int]:
    """Column name -> cell index, from the header row whose cells are the column titles."""
    for header_row in table.iterfind("thead/tr"):
        cells = header_row.findall("th")
        titles = [common.clean(_text(th)).lower() for th in cells]
        if "pos" not in titles:
            continue
        columns: dict[str, int] = {}
        for i, title in enumerate(titles):
            name = _COLUMNS.get(title)
            if name is None:
                ctx.problem("race_result.columns", title, "unknown column (ignored)")
            else:
                columns[name] = i
        for name in _COLUMNS.values():
            if name not in columns:
                if name in _REQUIRED_COLUMNS:
                    raise ctx.fail(f"results table has no {name} column", "race_result.columns")
                ctx.problem(f"race_result.{name}", None, "column missing from the results table")
        return columns
    raise ctx.fail("results table has no column header row", "race_result.columns")


# --- result rows (read column by column: a few C-level passes instead of per-cell calls) -------
# A column of well-formed values is checked by one regex over the joined column and converted in
# one comprehension; only a column that fails the check is read cell by cell (through the shared
# readers in ``common``), which records a problem for each bad cell and keeps the rest. The quick
# converters give exactly what the shared readers give on the text their column pattern admits
# (ASCII digits only; tests compare both ways on every real and generated page).
_SECONDS_COLUMN = re.compile(r"(?:\d+(?:\.\d+)?)?(?:\n(?:\d+(?:\.\d+)?)?)*")
_INT_COLUMN = re.compile(r"(?:\d+)?(?:\n(?:\d+)?)*")
# Laps/Time is required, so no empty cell: "47/30:31.382", "13/8:33.797", a DNS row's bare "0".
_LAPS_TIME_CELL = r"[0-9]+(?:/[0-9]+:[0-5][0-9]\.[0-9]+)?"
_LAPS_TIME_COLUMN = re.compile(f"{_LAPS_TIME_CELL}(?:\\n{_LAPS_TIME_CELL})*")
# Behind: empty (the winner, a DNS), seconds "12.052", or laps "1 Lap" / "22 Laps".
_BEHIND_CELL = r"(?:[0-9]+(?:\.[0-9]+)?|[0-9]+ Laps?)?"
_BEHIND_COLUMN = re.compile(f"{_BEHIND_CELL}(?:\\n{_BEHIND_CELL})*")
_PERCENT_CELL = r"(?:[0-9]+(?:\.[0-9]+)?%)?"
_PERCENT_COLUMN = re.compile(f"{_PERCENT_CELL}(?:\\n{_PERCENT_CELL})*")
_ROWS_IN_BODY = lxml.etree.XPath("./tbody/tr[td]")
_ROWS_BARE = lxml.etree.XPath("./tr[td]")


def _quick_laps_time(text: str) -> tuple[int, float | None, None]:
    """``common.parse_laps_time`` for a cell matching ``_LAPS_TIME_CELL``."""
    laps, slash, clock = text.partition("/")
    if not slash:
        return int(text), None, None
    minutes, _, seconds = clock.partition(":")
    return int(laps), round(int(minutes) * 60 + float(seconds), 6), None


def _quick_behind(text: str) -> tuple[float | None, int | None]:
    """``common.parse_behind`` for a non-empty cell matching ``_BEHIND_CELL``."""
    if text[-1] == "p" or text[-1] == "s":
        return None, int(text.split(" ", 1)[0])
    return float(text), None


def _quick_percent(text: str) -> float:
    return float(text[:-1])


def _cell_text(td: Element) -> str:
    return (td.text or "") if len(td) == 0 else "".join(td.itertext())


def _read_column(
    ctx: ParseContext,
    field: str,
    texts: list[str | None],
    convert: Callable[[str], Any],
    fast: tuple[re.Pattern[str], Callable[[str], Any]] | None = None,
    *,
    row_numbers: list[int] | None = None,
    required: bool = False,
) -> list[Any]:
    """Convert one column; empty cells are None. ``fast`` = (column pattern, converter) shortcut.

    Problems name the row by ``row_numbers`` (its place in the table) when given, else by its place
    among the rows read.
    """
    if fast is not None:
        stripped = [t.strip() if t else "" for t in texts]
        joined = "\n".join(stripped)
        # The newline count guards against a cell that holds a line break itself ("13.3\n74").
        if joined.count("\n") == len(stripped) - 1 and fast[0].fullmatch(joined):
            quick = fast[1]
            return [quick(t) if t else None for t in stripped]
    numbers = row_numbers if row_numbers is not None else range(1, len(texts) + 1)
    return [ctx.read(f"race_result.row[{n}].{field}", t, convert, required=required) for n, t in zip(numbers, texts)]


def _stat_texts(cells: list[Element | None]) -> tuple[list[str], bool]:
    """Each cell's hidden sort key (``<div class="hidden">111.828</div>1:51.828``), or its text
    when it has none; and whether every cell had one. The visible text beside a key is not read."""
    texts: list[str] = []
    all_hidden = True
    for td in cells:
        if td is not None:
            for child in td:
                cls = child.get("class")
                if cls is not None and (cls == "hidden" or "hidden" in cls.split()):
                    texts.append((child.text or "").strip())
                    break
            else:
                texts.append(_cell_text(td).strip())
                all_hidden = False
        else:
            texts.append("")
            all_hidden = False
    return texts, all_hidden


def _stat_column(ctx: ParseContext, field: str, cells: list[Element | None]) -> list[float | None]:
    """A stat column: the hidden key is plain seconds; without one, the visible text is read."""
    texts, all_hidden = _stat_texts(cells)
    if all_hidden:
        return _read_column(ctx, field, texts, common.parse_float, (_SECONDS_COLUMN, float))
    return _read_column(ctx, field, texts, common.parse_duration)


def _driver_cell(td: Element) -> tuple[str | None, str, str | None]:
    """(car number, driver name, data-driver-id) from the Driver cell."""
    car = name = driver_id = None
    for el in td.iter("span", "a"):
        cls = el.get("class")
        if cls:
            # A class token test; the substring test first skips the split for other classes.
            if cls == "car_num" or ("car_num" in cls and "car_num" in cls.split()):
                car = common.clean(_cell_text(el)) or None
                continue
            if cls == "driver_name" or ("driver_name" in cls and "driver_name" in cls.split()):
                name = common.clean(_cell_text(el))
                continue
        if el.tag == "a":
            found = el.get("data-driver-id")
            if found is not None:
                driver_id = found
    if name is None:
        # No span.driver_name: the cell's own text, without the "View Laps" link.
        name = common.clean(td.text or "")
    return car, name, driver_id


def _fastest_column(ctx: ParseContext, cells: list[Element | None]) -> tuple[list[float | None], list[int | None]]:
    """``37.234<sup>10</sup>``: the lap time is the cell's own text, the lap number the ``<sup>``."""
    times: list[str | None] = []
    laps: list[str | None] = []
    for td in cells:
        if td is None:
            times.append(None)
            laps.append(None)
            continue
        sup = td.find("sup")
        times.append(td.text if sup is not None else _cell_text(td))
        laps.append(_cell_text(sup) if sup is not None else None)
    return (
        _read_column(ctx, "fastest_lap", times, common.parse_duration, (_SECONDS_COLUMN, float)),
        _read_column(ctx, "fastest_lap_number", laps, common.parse_int, (_INT_COLUMN, int)),
    )


def _read_rows(ctx: ParseContext, table: Element, columns: dict[str, int]) -> tuple[list[items.RaceResult], list[int], int]:
    """The result rows, for each its 1-based row number in the table (rows can be skipped), and
    how many rows the table has."""
    rows = _ROWS_IN_BODY(table) or _ROWS_BARE(table)
    if not rows:
        raise ctx.fail("results table has no rows", "race_result")
    width = max(columns.values()) + 1
    row_cells: list[list[Element]] = []
    row_numbers: list[int] = []
    for n, tr in enumerate(rows, start=1):
        tds = tr.findall("td")
        if len(tds) < width:
            # A row short of cells is a page cut inside its table (or a row that lost its cells),
            # not a row to skip: storing the rest would mark the missing drivers removed (issue 9).
            raise ctx.incomplete(f"results row {n} has {len(tds)} cells, the header has {width}", f"race_result.row[{n}]")
        row_cells.append(tds)
        row_numbers.append(n)

    def cells(name: str) -> list[Element | None]:
        i = columns.get(name)
        return [tds[i] for tds in row_cells] if i is not None else [None] * len(row_cells)

    def texts(name: str) -> list[str | None]:
        i = columns.get(name)
        if i is None:
            return [None] * len(row_cells)
        return [td.text or "" if len(td) == 0 else "".join(td.itertext()) for td in (tds[i] for tds in row_cells)]

    positions = texts("position")
    drivers = [_driver_cell(td) for td in cells("driver")]
    driver_ids = _read_column(ctx, "driver_id", [d[2] for d in drivers], common.parse_int, (_INT_COLUMN, int))
    quals = _read_column(ctx, "qual", texts("qual"), common.parse_int, (_INT_COLUMN, int))
    laps_times = _read_column(
        ctx, "laps_time", texts("laps_time"), common.parse_laps_time, (_LAPS_TIME_COLUMN, _quick_laps_time), row_numbers=row_numbers, required=True
    )
    behinds = _read_column(ctx, "behind", texts("behind"), common.parse_behind, (_BEHIND_COLUMN, _quick_behind), row_numbers=row_numbers)
    fastest, fastest_lap_numbers = _fastest_column(ctx, cells("fastest_lap"))
    avg_lap = _stat_column(ctx, "avg_lap", cells("avg_lap"))
    avg_top5 = _stat_column(ctx, "avg_top5", cells("avg_top5"))
    avg_top10 = _stat_column(ctx, "avg_top10", cells("avg_top10"))
    avg_top15 = _stat_column(ctx, "avg_top15", cells("avg_top15"))
    top3 = _stat_column(ctx, "top3_consecutive", cells("top3_consecutive"))
    std_dev = _read_column(ctx, "std_deviation", texts("std_deviation"), common.parse_float, (_SECONDS_COLUMN, float))
    consistency = _read_column(ctx, "consistency", texts("consistency"), common.parse_percent, (_PERCENT_COLUMN, _quick_percent))

    results: list[items.RaceResult] = []
    kept_rows: list[int] = []
    RaceResult = items.RaceResult
    for i, n in enumerate(row_numbers):
        car, name, _ = drivers[i]
        raw_position = positions[i]
        stripped = raw_position.strip() if raw_position else ""
        if stripped.isdigit() and stripped.isascii():
            position: int | None = int(stripped)
        else:
            position = ctx.read(f"race_result.row[{n}].position", raw_position, common.parse_int, required=True)
        if position is None or not name:
            # Without a position or a name the row is not a result; its problem names the row.
            ctx.problem(f"race_result.row[{n}]", common.clean(_cell_text(row_cells[i][0].getparent()))[:500], "row skipped: no position or no driver name")
            continue
        laps_time = laps_times[i]
        behind = behinds[i]
        results.append(
            RaceResult(
                position=position,
                car_number=car,
                driver_id=driver_ids[i],
                driver_name=name,
                qual_position=quals[i],
                laps=laps_time[0] if laps_time else None,
                total_time=laps_time[1] if laps_time else None,
                behind_seconds=behind[0] if behind else None,
                behind_laps=behind[1] if behind else None,
                fastest_lap=fastest[i],
                fastest_lap_number=fastest_lap_numbers[i],
                avg_lap=avg_lap[i],
                avg_top5=avg_top5[i],
                avg_top10=avg_top10[i],
                avg_top15=avg_top15[i],
                top3_consecutive=top3[i],
                std_deviation=std_dev[i],
                consistency=consistency[i],
                status=items.STATUS_FINISHED,  # decided by _assign_status once every row is read
                driver_id_source="row",
            )
        )
        kept_rows.append(n)
    return results, kept_rows, len(rows)


# --- laps from the racerLaps script blocks ---------------------------------------------------
# A racerLaps block: (driver id, its fields read with .get(), its laps with lap 0 when already read).
Block = tuple[int | None, Any, list[items.Lap] | None]


def _racer_laps(ctx: ParseContext, tree: Element | list[str]) -> list[Block]:
    """Decode every racerLaps block, from the page's scripts or from script texts cut out of it:
    as served, straight into laps (:mod:`racer_laps_served`), or else into dicts."""
    codes = tree if isinstance(tree, list) else [script.text for script in tree.iter("script")]
    served = read_served_blocks(codes)
    if served is not None:
        return served
    blocks: list[Block] = []
    for code in codes:
        if not code or "racerLaps[" not in code:
            continue
        try:
            for assignment in find_served_assignments(code, "racerLaps"):
                if not isinstance(assignment.value, dict):
                    ctx.problem(f"racer_laps[{assignment.index}]", None, "not an object")
                    continue
                driver_id = int(assignment.index) if assignment.index.isdigit() else None
                if driver_id is None:
                    ctx.problem(f"racer_laps[{assignment.index}]", assignment.index, "driver id is not a number")
                blocks.append((driver_id, assignment.value, None))
        except JSLiteralError as exc:
            # Blocks decoded before the bad one are kept; the rest of that script is lost and said so.
            ctx.problem("racer_laps", None, f"script could not be decoded: {exc}")
    return blocks


def _attach_laps(ctx: ParseContext, tree: Element | list[str], results: list[items.RaceResult], table_rows: list[int], row_count: int) -> None:
    blocks = _racer_laps(ctx, tree)
    if not blocks:
        ctx.problem("racer_laps", None, "no racerLaps blocks: results have no laps")
        return
    _check_rows_match_racer_laps(ctx, blocks, results, table_rows, row_count)
    by_id = {driver_id: (data, laps) for driver_id, data, laps in blocks if driver_id is not None}
    for result, row_number in zip(results, table_rows):
        index = row_number - 1  # racerLaps follows the table's rows, skipped ones included
        if result.driver_id is not None:
            data, laps = by_id[result.driver_id]  # there is one: _check_rows_match_racer_laps
        else:
            # A DNS row has no data-driver-id. LiveRC writes racerLaps in table-row order with the
            # row's name (race-6304829.html: RILEY LANDER, row 12, racerLaps[731648]).
            if index >= len(blocks) or blocks[index][1].get("driverName") != result.driver_name:
                ctx.problem(
                    f"race_result.row[{index + 1}].driver_id",
                    result.driver_name,
                    "no data-driver-id and no racerLaps block with this name at this row's index",
                )
                continue
            result.driver_id, data, laps = blocks[index]
            result.driver_id_source = "racer_laps"
        if data.get("driverName") != result.driver_name:
            ctx.problem(
                f"racer_laps[{result.driver_id}].driverName",
                str(data.get("driverName")),
                f"differs from the table's {result.driver_name!r}",
            )
        _read_driver_laps(ctx, result, data, laps)


def _check_rows_match_racer_laps(ctx: ParseContext, blocks: list[Block], results: list[items.RaceResult],
                                 table_rows: list[int], row_count: int) -> None:
    """The table and racerLaps list the same drivers, or the page is not whole.

    LiveRC writes one racerLaps block per table row, DNS rows included, in row order
    (FIELD-GUIDE §5.2, three races checked; the generator does the same). A DNS row has no
    data-driver-id, so it is paired with its block by position, never by id: a block whose id no
    row carries is only a DNS row's when the row at its index has no id either.
    """
    if len(blocks) != row_count:
        raise ctx.incomplete(f"racerLaps lists {len(blocks)} drivers, the results table has {row_count} rows", "racer_laps")
    block_ids = {driver_id for driver_id, _, _ in blocks if driver_id is not None}
    row_ids: dict[int, int | None] = {}
    for result, row_number in zip(results, table_rows):
        row_ids[row_number - 1] = result.driver_id
        if result.driver_id is not None and result.driver_id not in block_ids:
            raise ctx.incomplete(f"row {row_number} ({result.driver_name}, id {result.driver_id}) has no racerLaps block",
                                 f"racer_laps[{result.driver_id}]")
    carried = {driver_id for driver_id in row_ids.values() if driver_id is not None}
    for index, (driver_id, data, _) in enumerate(blocks):
        if driver_id is not None and driver_id not in carried and row_ids.get(index, None) is not None:
            raise ctx.incomplete(f"racerLaps[{driver_id}] ({data.get('driverName')}) has no row in the results table",
                                 f"racer_laps[{driver_id}]")


# racerLaps figures are decimal strings ('74.504'); such a string reads the same through float()
# as through common.parse_float, so only other values take the reporting route.
_PLAIN_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _js_float(ctx: ParseContext, where: str, key: str, value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        if _PLAIN_DECIMAL.fullmatch(value):
            return float(value)
        return ctx.read(f"{where}.{key}", value, common.parse_float)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return ctx.read(f"{where}.{key}", str(value), common.parse_float)


def _read_driver_laps(ctx: ParseContext, result: items.RaceResult, data: Any, lap_list: list[items.Lap] | None) -> None:
    """The block's stats and laps; ``lap_list`` is the block's laps when they were read as served."""
    where = f"racer_laps[{result.driver_id}]"
    result.top2_consecutive = _js_float(ctx, where, "top2Consecutive", data.get("top2Consecutive"))
    result.std_deviation_precise = _js_float(ctx, where, "stdDeviation", data.get("stdDeviation"))
    result.consistency_precise = _js_float(ctx, where, "consistency", data.get("consistency"))
    if lap_list is None:
        laps = data.get("laps")
        if not isinstance(laps, list):
            ctx.problem(f"{where}.laps", None if laps is None else str(laps)[:100], "not a list of laps")
            return
        try:
            lap_list = _quick_laps(laps)
        except (KeyError, TypeError, ValueError):
            lap_list = _read_laps_slowly(ctx, where, laps)
    if lap_list and lap_list[0].lap_number == 0:
        # Lap 0 is the grid entry: its pos is the grid slot (equals the Qual column); not a lap.
        result.grid_position = lap_list.pop(0).position
    result.lap_list = lap_list
    if result.laps is not None and result.laps != len(lap_list):
        ctx.problem(f"{where}.laps", str(len(lap_list)), f"racerLaps has {len(lap_list)} laps, the table says {result.laps}")


def _quick_laps(laps: list) -> list[items.Lap]:
    """The served form, every value a string ('37.234'): one comprehension reads them all.

    Raises (KeyError, TypeError, ValueError) on anything else, and then :func:`_read_laps_slowly`
    reads the laps one by one and reports each bad value. float() also takes "nan"/"inf", so the
    times are checked before they are trusted.
    """
    times = [float(lap["time"]) for lap in laps]
    if not plausible_lap_times(times):
        raise ValueError("lap time out of range")
    small = SMALL_INTS.get
    Lap = items.Lap
    return [
        Lap(small(lap["lapNum"]) or int(lap["lapNum"]), t, small(lap["pos"]) or int(lap["pos"]), lap["pace"] or None)
        for lap, t in zip(laps, times)
    ]


def _read_laps_slowly(ctx: ParseContext, where: str, laps: list) -> list[items.Lap]:
    """Laps the fast path could not read: record each bad value, keep every lap that has a number."""
    lap_list: list[items.Lap] = []
    for raw in laps:
        if not isinstance(raw, dict):
            ctx.problem(f"{where}.laps[]", str(raw)[:100], "not a lap object")
            continue
        number = ctx.read(f"{where}.lapNum", _str(raw.get("lapNum")), common.parse_int, required=True)
        if number is None:
            continue
        lap_time = ctx.read(f"{where}.laps[{number}].time", _str(raw.get("time")), common.parse_float, required=True)
        position = ctx.read(f"{where}.laps[{number}].pos", _str(raw.get("pos")), common.parse_int)
        pace = raw.get("pace")
        lap_list.append(items.Lap(number, lap_time, position, str(pace) if pace not in (None, "") else None))
    return lap_list


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


# --- status ----------------------------------------------------------------------------------
def _assign_status(race: items.Race) -> None:
    finishers = [r for r in race.results if r.laps]
    if not finishers:
        for r in race.results:
            r.status = items.STATUS_DNS if r.laps == 0 else items.STATUS_FINISHED
        return
    winner = min(finishers, key=lambda r: r.position)
    winner_laps = winner.laps or 0
    race_length = race.length_seconds if race.length_seconds is not None else winner.total_time
    for r in race.results:
        if r.laps == 0:
            r.status = items.STATUS_DNS
        elif (
            r.laps is not None
            and r.laps < winner_laps - 1
            and r.total_time is not None
            and race_length is not None
            and r.total_time < race_length
        ):
            r.status = items.STATUS_STOPPED_EARLY
        else:
            r.status = items.STATUS_FINISHED
