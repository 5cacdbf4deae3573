"""A practice session: /practice/?p=view_session&id=<session_id> -> one :class:`PracticeSession`.

Layout (FIELD-GUIDE §10; practice-session-21289501.html): a ``table.table`` of ``th``/``td``
pairs (Driver, Class, Transponder, Session Time, Num Laps, Fastest Lap, Top 3 Consec, Averages,
Valid Lap Range), the ``div.laps_list`` spans (``Lap N: t``, the fastest with ``class="fast_lap"``)
and the chart's ``var lapsObj = [...]`` JSON, which carries each lap's end time.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

from lxml import etree

from mre_crawler.items import PracticeLap, PracticeSession
from mre_crawler.jsliteral import decode_at
from mre_crawler.parsers.base import ROW_ERRORS, ParseContext, ParseResult
from mre_crawler.parsers.common import (
    br_lines,
    cell_text,
    page_id,
    page_track_slug,
    parse_clock,
    parse_duration,
    parse_float,
    parse_int,
    parse_month_date,
    parse_percent,
    parse_us_datetime,
    PLAIN_DECIMAL,
    _SECONDS,
    class_holds,
)
from mre_crawler.parsers.detect import load_plain_page

PAGE_TYPE = "practice_session"

_LAPS_OBJ = re.compile(r"var\s+lapsObj\s*=\s*")
_LAP_SPAN = re.compile(r"^Lap\s+(?P<n>\d+)\s*:\s*(?P<time>[\d:.]+)\s*(?P<invalid>\*)?$")
_RANGE = re.compile(r"^(?P<min>[\d:.]+)\s+to\s+(?P<max>[\d:.]+)")
_AVERAGES = {
    "avg": "avg_lap",
    "top 5": "avg_top5",
    "top 10": "avg_top10",
    "top 15": "avg_top15",
    "std deviation": "std_deviation",
}


def parse(body: bytes, url: str, meta: Mapping[str, Any] | None = None) -> ParseResult:
    tree = load_plain_page(body, url, PAGE_TYPE)  # builds the tree, then check_not_error_page
    ctx = ParseContext(PAGE_TYPE, url, meta)
    cells = _detail_cells(tree)
    if "driver" not in cells:
        raise ctx.fail("no session detail table (th Driver / td ...)", "session")
    session = PracticeSession(
        track_slug=page_track_slug(ctx),
        session_id=page_id(ctx, "session_id"),
        driver_name=_text(ctx, cells, "driver", required=True) or "",
        class_name=_text(ctx, cells, "class", required=True) or "",
        transponder=_text(ctx, cells, "transponder"),
        date=None,
        start_local=None,
        end_local=None,
        length_seconds=None,
        lap_count=ctx.read("num_laps", _text(ctx, cells, "num laps"), parse_int, required=True),
        fastest_lap=ctx.read("fastest_lap", _text(ctx, cells, "fastest lap"), parse_float),
        # Top 3 Consec is printed in seconds here ("133.270"), never m:ss; parse_duration reads both.
        top3_consecutive=ctx.read("top3_consecutive", _text(ctx, cells, "top 3 consec"), parse_duration),
        avg_lap=None,
        avg_top5=None,
        avg_top10=None,
        avg_top15=None,
        std_deviation=None,
        consistency=None,
        valid_lap_min=None,
        valid_lap_max=None,
    )
    _read_session_time(ctx, cells.get("session time"), session)
    _read_averages(ctx, cells.get("averages"), session)
    _read_valid_range(ctx, cells.get("valid lap range"), session)
    session.laps = _laps(ctx, tree, session)
    return ctx.result([session])


_DETAIL_ROWS = etree.XPath('//table[contains(concat(" ", normalize-space(@class), " "), " table ")]/tbody/tr[th and td]')
_LAP_SPANS = etree.XPath('//div[contains(concat(" ", normalize-space(@class), " "), " laps_list ")]//span')


def _detail_cells(tree: etree._Element) -> dict[str, etree._Element]:
    cells: dict[str, etree._Element] = {}
    for row in _detail_rows(tree):  # each has a th and a td: .find() of each, without ElementPath
        label = cell_text(next(row.iterchildren("th"))).lower()
        cells.setdefault(label, next(row.iterchildren("td")))
    return cells


def _detail_rows(tree: etree._Element) -> list[etree._Element]:
    """``_DETAIL_ROWS(tree)``: with one ``table.table`` (every page) its rows read by a tag walk,
    which is several times cheaper than the XPath's predicate on every element."""
    tables = [el for el in tree.iter("table") if class_holds(el.get("class"), ("table",))]
    if len(tables) != 1:
        return _DETAIL_ROWS(tree)
    return [tr for tbody in tables[0].iterchildren("tbody") for tr in tbody.iterchildren("tr")
            if next(tr.iterchildren("th"), None) is not None and next(tr.iterchildren("td"), None) is not None]


def _text(ctx: ParseContext, cells: dict[str, etree._Element], label: str, *, required: bool = False) -> str | None:
    cell = cells.get(label)
    text = cell_text(cell) if cell is not None else None
    if required and not text:
        ctx.problem(label.replace(" ", "_"), text, "missing")
    return text or None


def _lines(cell: etree._Element | None) -> dict[str, str]:
    """``Date: …<br/>Start: …`` -> {"date": …, "start": …}."""
    out: dict[str, str] = {}
    for line in br_lines(cell) if cell is not None else []:
        label, sep, value = line.partition(":")
        if sep:
            out.setdefault(label.strip().lower(), value.strip())
    return out


def _read_session_time(ctx: ParseContext, cell: etree._Element | None, session: PracticeSession) -> None:
    lines = _lines(cell)
    if cell is None:
        ctx.problem("session_time", None, "no Session Time row")
    # "October 25, 2025 (Saturday)": the page header shows only the time, so this is the date.
    session.date = ctx.read("date", lines.get("date"), parse_month_date, required=True)
    start = ctx.read("start", lines.get("start"), parse_clock, required=True)
    end = ctx.read("end", lines.get("end"), parse_clock, required=True)
    if session.date is not None and start is not None:
        session.start_local = dt.datetime.combine(session.date, start)
    if session.date is not None and end is not None:
        session.end_local = dt.datetime.combine(session.date, end)
        # Only clock times are printed: an end before the start means the session ran past midnight.
        if session.start_local is not None and session.end_local < session.start_local:
            session.end_local += dt.timedelta(days=1)
    # The length is the sum of lap times (3:49), not End - Start (6:50).
    session.length_seconds = ctx.read("length", lines.get("length of session"), parse_duration, required=True)


def _read_averages(ctx: ParseContext, cell: etree._Element | None, session: PracticeSession) -> None:
    if cell is None:
        ctx.problem("averages", None, "no Averages row")
        return
    lines = _lines(cell)
    # A figure needs enough laps ("Top 10: " is empty with 5 laps): empty is None, not a problem.
    for label, attr in _AVERAGES.items():
        if label not in lines:
            ctx.problem(attr, None, f'no "{label}" line in Averages')
        setattr(session, attr, ctx.read(attr, lines.get(label), parse_float))
    if "consistency" not in lines:
        ctx.problem("consistency", None, 'no "consistency" line in Averages')
    session.consistency = ctx.read("consistency", lines.get("consistency"), parse_percent)


def _read_valid_range(ctx: ParseContext, cell: etree._Element | None, session: PracticeSession) -> None:
    lines = br_lines(cell) if cell is not None else []
    text = lines[0] if lines else None
    m = _RANGE.match(text or "")
    if not m:
        ctx.problem("valid_lap_range", text, 'not "<min> to <max>"')
        return
    # "20 to 1:10": either end may be bare seconds or m:ss.
    session.valid_lap_min = ctx.read("valid_lap_min", m["min"], parse_duration)
    session.valid_lap_max = ctx.read("valid_lap_max", m["max"], parse_duration)


# --- laps ---------------------------------------------------------------------------------------
def _laps(ctx: ParseContext, tree: etree._Element, session: PracticeSession) -> list[PracticeLap]:
    listed = _listed_laps(ctx, tree)
    laps = _json_laps(ctx, tree, session)
    if laps is None:
        # No chart data: the lap list still gives lap times, but no end times.
        laps = [PracticeLap(n, t, None, not invalid) for n, (t, invalid, _) in sorted(listed.items())]
    elif listed:
        _cross_check(ctx, laps, listed)
    marked = [t for t, _, fastest in listed.values() if fastest]
    if marked and session.fastest_lap is not None and abs(marked[0] - session.fastest_lap) > 0.0005:
        ctx.problem("fastest_lap", str(session.fastest_lap), f"the lap list marks {marked[0]} as the fastest lap")
    counted = [lap for lap in laps if lap.is_valid]
    if session.lap_count is not None and session.lap_count not in (len(laps), len(counted)):
        # Num Laps is the page's own total of its laps (5 = 5 on practice-session-21289501.html).
        raise ctx.incomplete(f"Num Laps says {session.lap_count}, the page lists {len(laps)} laps ({len(counted)} valid)", "num_laps")
    return laps


def _listed_laps(ctx: ParseContext, tree: etree._Element) -> dict[int, tuple[float, bool, bool]]:
    """The ``div.laps_list`` spans: lap number -> (time, marked invalid, marked fastest)."""
    listed: dict[int, tuple[float, bool, bool]] = {}
    for span in _lap_spans(tree):
        text = cell_text(span)
        m = _LAP_SPAN.match(text)
        if m is not None and _SECONDS.fullmatch(time := m["time"]):
            lap_time = float(time)  # what ctx.read and parse_duration give plain seconds
        else:
            lap_time = ctx.read("laps_list", m["time"], parse_duration) if m else None
        if m is None:
            ctx.problem("laps_list", text, 'not "Lap N: t"')
        if lap_time is None:
            continue
        fastest = "fast_lap" in (span.get("class") or "").split()
        listed[int(m["n"])] = (lap_time, bool(m["invalid"]), fastest)
    return listed


def _lap_spans(tree: etree._Element) -> list[etree._Element]:
    """``_LAP_SPANS(tree)``: with one ``div.laps_list`` (every page) its spans, found by a tag walk,
    which is several times cheaper than the XPath's predicate on every div."""
    lists = [el for el in tree.iter("div") if (cls := el.get("class")) and "laps_list" in cls
             and class_holds(cls, ("laps_list",))]
    if len(lists) == 1:
        return list(lists[0].iter("span"))  # the descendant spans; the div itself is no span
    return _LAP_SPANS(tree) if lists else []


def _json_laps(ctx: ParseContext, tree: etree._Element, session: PracticeSession) -> list[PracticeLap] | None:
    for script in tree.iter("script"):
        source = script.text or ""
        m = _LAPS_OBJ.search(source)
        if not m:
            continue
        try:
            records, _ = decode_at(source, m.end())
            if not isinstance(records, list):
                raise ValueError("lapsObj is not a list")
        except ValueError as exc:
            ctx.problem("laps", source[m.end():m.end() + 200], f"unreadable lapsObj: {exc}")
            return None
        laps: list[PracticeLap] = []
        for index, record in enumerate(records):
            try:  # ctx.row's work, its context manager only built for a record that fails
                laps.append(_json_lap(ctx, record, session))
            except ROW_ERRORS:
                with ctx.row(f"lap[{index}]", lambda record=record: json.dumps(record)):
                    raise  # recorded and dropped by ctx.row, as if raised inside it
        return laps
    ctx.problem("laps", None, "no 'var lapsObj = [...]' lap data")
    return None


def _json_lap(ctx: ParseContext, record: dict[str, Any], session: PracticeSession) -> PracticeLap:
    """``{"x":"1","lap_time":"42.996","date":"2025-10-25","time":"14:44:10",
    "date_time_display":"10\\/25\\/2025 2:44:10pm",...,"is_valid":"1"}``

    A record in the form LiveRC writes every lap (a plain decimal lap time, the ISO date and time,
    the display form with lower-case am/pm, all valid moments) is read here directly; any other
    takes :func:`_json_lap_read`, which gives the same lap and problems on these."""
    if type(record) is not dict:
        return _json_lap_read(ctx, record, session)
    lap_text, date, time, display = record.get("lap_time"), record.get("date", ""), record.get("time", ""), record.get("date_time_display")
    if (type(lap_text) is str and type(date) is str and type(time) is str and type(display) is str
            and PLAIN_DECIMAL.fullmatch(lap_text)):
        end = _ISO_END.fullmatch(f"{date} {time}")
        shown = _US_DISPLAY.fullmatch(display)
        if end is not None and shown is not None:
            month, day, year, hour, minute, second, ampm = shown.groups()
            hour = int(hour)
            try:
                end_local = dt.datetime(*map(int, end.groups()))
                if not 1 <= hour <= 12:
                    raise ValueError
                shown_at = dt.datetime(int(year), int(month), int(day), hour % 12 + (12 if ampm == "pm" else 0),
                                       int(minute), int(second))
            except ValueError:
                pass  # an impossible moment: the general reader records it
            else:
                number = int(record["x"])
                if shown_at != end_local:
                    ctx.problem(f"lap[{number}].date_time_display", display, f"disagrees with {end_local.isoformat()}")
                lap_time = float(lap_text)
                return PracticeLap(number, lap_time, end_local,
                                   _is_valid(ctx, f"lap[{number}]", record.get("is_valid"), lap_time, session))
    return _json_lap_read(ctx, record, session)


# date_time_display as LiveRC writes it: ``10/25/2025 2:44:10pm`` (one space, lower-case am/pm).
_US_DISPLAY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}) ([0-9]{1,2}):([0-9]{2}):([0-9]{2})([ap]m)")


def _json_lap_read(ctx: ParseContext, record: dict[str, Any], session: PracticeSession) -> PracticeLap:
    """:func:`_json_lap` for any record, each field through ``ctx.read``."""
    number = int(record["x"])
    field = f"lap[{number}]"
    lap_time = ctx.read(f"{field}.lap_time", record.get("lap_time"), parse_float, required=True)
    # The ISO date/time fields give the wall-clock moment the lap ended; the display form is
    # US-style (10/25/2025 2:44:10pm, even on an Australian track) and only cross-checks it.
    end_local = ctx.read(
        f"{field}.end", f"{record.get('date', '')} {record.get('time', '')}".strip(), _iso_end, required=True,
    )
    shown = ctx.read(f"{field}.date_time_display", record.get("date_time_display"), parse_us_datetime)
    if end_local is not None and shown is not None and shown != end_local:
        ctx.problem(f"{field}.date_time_display", record.get("date_time_display"), f"disagrees with {end_local.isoformat()}")
    return PracticeLap(number, lap_time, end_local, _is_valid(ctx, field, record.get("is_valid"), lap_time, session))


_ISO_END = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})")


def _iso_end(text: str) -> dt.datetime:
    """``strptime(text, "%Y-%m-%d %H:%M:%S")``, about 8x faster on the form LiveRC writes.

    The fast read takes only all-digit fields of the usual widths, on which strptime gives the
    same moment; every other text (one-digit fields, out-of-range values, anything else) goes to
    strptime itself, so its value or error is always strptime's."""
    m = _ISO_END.fullmatch(text)
    if m is not None:
        try:
            return dt.datetime(*map(int, m.groups()))
        except ValueError:
            pass
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def _is_valid(ctx: ParseContext, field: str, raw: Any, lap_time: float | None, session: PracticeSession) -> bool:
    if str(raw) in ("1", "0"):
        return str(raw) == "1"
    # Unreadable flag: fall back to the rule the page states ("lap times outside of this range are
    # marked invalid"), and say so.
    lo, hi = session.valid_lap_min, session.valid_lap_max
    inferred = lap_time is not None and (lo is None or lap_time >= lo) and (hi is None or lap_time <= hi)
    ctx.problem(f"{field}.is_valid", None if raw is None else str(raw), f"not 0/1; taken from the valid lap range as {inferred}")
    return inferred


def _cross_check(ctx: ParseContext, laps: list[PracticeLap], listed: dict[int, tuple[float, bool, bool]]) -> None:
    """The lap list and lapsObj are two prints of the same laps: any difference is a problem."""
    from_json = {lap.lap_number: lap for lap in laps}
    if set(from_json) != set(listed):
        ctx.problem(
            "laps_list",
            ", ".join(str(n) for n in sorted(set(listed) ^ set(from_json))),
            f"lap list has laps {sorted(listed)}, lapsObj has {sorted(from_json)}",
        )
    for number in sorted(set(from_json) & set(listed)):
        lap_time, invalid, _ = listed[number]
        lap = from_json[number]
        if lap.lap_time is not None and abs(lap.lap_time - lap_time) > 0.0005:
            ctx.problem(f"lap[{number}].lap_time", f"Lap {number}: {lap_time}", f"lapsObj says {lap.lap_time}")
        if invalid == lap.is_valid:
            ctx.problem(f"lap[{number}].is_valid", f"Lap {number}", "lap list and lapsObj disagree on validity")
