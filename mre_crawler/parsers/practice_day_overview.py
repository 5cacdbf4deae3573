"""A practice day overview: /practice/?p=session_list&d=YYYY-MM-DD -> one :class:`PracticeDay`.

Layout (FIELD-GUIDE §9; practice-day-overview-canberraoffroad-2025-10-25.html, 56 sessions):
``table.practice_session_list`` with one row per session
(``Driver / <class> (<transponder>)`` | hidden ``YYYY-MM-DD HH:MM:SS`` + ``h:mm:ssam`` |
``laps<br>length`` | ``Fast: x<br>Avg: y``), and two right-hand panels: ``Practice Stats`` (with a
laps-per-class JSON array in a script) and ``Practice Leaderboard``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from lxml import etree

from mre_crawler.items import PracticeDay, PracticeLeader, PracticeSessionSummary, PracticeStats
from mre_crawler.jsliteral import decode_at
from mre_crawler.parsers.base import ParseContext, ParseResult
from mre_crawler.parsers.common import (
    PLAIN_DECIMAL,
    br_lines,
    cell_text,
    clean,
    page_track_slug,
    parse_clock,
    parse_duration,
    parse_float,
    parse_int,
    parse_iso_stamp,
    parse_month_date,
    parse_spelled_duration,
    text_of,
    url_query_value,
    with_class,
)
from mre_crawler.parsers.detect import load_plain_page

PAGE_TYPE = "practice_day_overview"

_SESSION_ID = re.compile(r"[?&]id=(\d+)")
# "1/10 Open (9783013)", "Unknown Class (3071066)": the transponder is the last parenthesised part.
_CLASS_TRANSPONDER = re.compile(r"^(?P<class_name>.*?)\s*\((?P<transponder>[^()]*)\)$")
_LAPS_PER_CLASS = re.compile(r"var\s+data\s*=\s*")
_SESSION_TABLES = etree.XPath('//table[contains(concat(" ", normalize-space(@class), " "), " practice_session_list ")]')


def parse(body: bytes, url: str, meta: Mapping[str, Any] | None = None) -> ParseResult:
    # A plain lxml.etree tree (no lxml.html element classes), texts read with the XPath
    # ``string()`` that ``text_content()`` runs: the same texts, without a class lookup per element.
    tree = load_plain_page(body, url, PAGE_TYPE)  # builds the tree, then check_not_error_page
    ctx = ParseContext(PAGE_TYPE, url, meta)
    tables = _SESSION_TABLES(tree)
    if not tables:
        raise ctx.fail("no table.practice_session_list", "sessions")
    day = PracticeDay(track_slug=page_track_slug(ctx), date=_day(ctx, tree))
    day.sessions = _sessions(ctx, tables[0], day.date)
    headings = _panel_headings(tree)
    day.stats = _stats(ctx, headings)
    _check_total_laps(ctx, tables[0], day)
    day.leaderboard = _leaderboard(ctx, headings)
    return ctx.result([day])


# --- the day ------------------------------------------------------------------------------------
def _day(ctx: ParseContext, tree: etree._Element) -> dt.date:
    """The date the page shows (its title), cross-checked against the date the crawler asked for.

    The page's own date wins: its sessions belong to the day it prints. A disagreement is recorded.
    """
    requested_text = ctx.meta.get("date") or url_query_value(ctx.url, "d")
    requested: dt.date | None = None
    if isinstance(requested_text, dt.date):
        requested = requested_text
    elif requested_text is not None:
        requested = ctx.read("date", str(requested_text), dt.date.fromisoformat)
    shown = _shown_day(ctx, tree)
    if shown and requested and shown != requested:
        ctx.problem("date", requested.isoformat(), f"the page shows {shown.isoformat()}, not the requested day")
    day = shown or requested
    if day is None:
        raise ctx.fail("the day is neither on the page nor in meta/URL", "date")
    return day


def _shown_day(ctx: ParseContext, tree: etree._Element) -> dt.date | None:
    title = clean(tree.findtext(".//title"))
    for part in title.split("::"):
        part = part.strip()
        if part.lower().startswith("practice sessions on "):
            return ctx.read("date", part[len("practice sessions on "):], parse_month_date)
    ctx.problem("date", title or None, 'title has no "Practice Sessions on <date>" part')
    return None


# --- session rows -------------------------------------------------------------------------------
def _sessions(ctx: ParseContext, table: etree._Element, day: dt.date) -> list[PracticeSessionSummary]:
    sessions: list[PracticeSessionSummary] = []
    for index, row in enumerate(table.iterfind("tbody/tr")):
        field = f"session[{index}]"
        with ctx.row(field, lambda row=row: clean(text_of(row))):
            session = _session(ctx, field, row, day)
            if session is not None:
                sessions.append(session)
    return sessions


def _session(ctx: ParseContext, field: str, row: etree._Element, day: dt.date) -> PracticeSessionSummary | None:
    cells = list(row.iterchildren("td"))  # as findall("td"), without ElementPath's per-call cost (~5x)
    if len(cells) < 4:
        # A session row short of cells: the page was cut inside the list (issue 9).
        raise ctx.incomplete(f"a session row has {len(cells)} cells, not 4: {clean(text_of(row))[:80]!r}", field)
    driver_cell, time_cell, laps_cell, speed_cell = cells[:4]
    link = next(driver_cell.iter("a"), None)  # .find(".//a") without ElementPath per row (a td is never an a)
    href = link.get("href", "") if link is not None else ""
    m = _SESSION_ID.search(href)
    if not m:
        ctx.problem(f"{field}.session_id", href or None, "row skipped: no view_session link")
        return None
    session_id = int(m[1])
    field = f"session[{session_id}]"
    class_name, transponder = _class_and_transponder(ctx, field, driver_cell)
    laps_lines = br_lines(laps_cell)
    speed = dict(_labelled(line) for line in br_lines(speed_cell))
    laps_text = laps_cell.get("data-sort") or laps_lines[0]
    # plain digits and decimals (every row seen) read directly, as parse_int / parse_float would
    laps = int(laps_text) if laps_text.isdigit() and laps_text.isascii() else ctx.read(f"{field}.laps", laps_text, parse_int)
    driver_name = cell_text(link)  # mixed case as printed; "Unknown Driver" kept
    if not driver_name:
        ctx.problem(f"{field}.driver", None, "missing")
    return PracticeSessionSummary(
        session_id=session_id,
        driver_name=driver_name,
        class_name=class_name,
        transponder=transponder,
        start_local=_start(ctx, field, time_cell, day),
        laps=laps,
        # "8:28", or bare seconds under a minute ("55"): LiveRC's rounded sum of lap times.
        length_seconds=ctx.read(f"{field}.length", laps_lines[1] if len(laps_lines) > 1 else None,
                                lambda t: round(parse_duration(t)), required=True),
        fastest_lap=_decimal(ctx, f"{field}.fastest_lap", speed_cell.get("data-sort") or speed.get("fast")),
        avg_lap=_decimal(ctx, f"{field}.avg_lap", speed.get("avg"), required=True),
    )


def _decimal(ctx: ParseContext, field: str, text: str | None, required: bool = False) -> float | None:
    """``ctx.read(field, text, parse_float)``, a plain decimal read directly."""
    if text and PLAIN_DECIMAL.fullmatch(text):
        return float(text)
    return ctx.read(field, text, parse_float, required=required)


def _labelled(line: str) -> tuple[str, str]:
    label, _, value = line.partition(":")
    return label.strip().lower(), value.strip()


def _class_and_transponder(ctx: ParseContext, field: str, cell: etree._Element) -> tuple[str, str | None]:
    small = next(cell.iter("small"), None)  # .find(".//small"), as above
    text = cell_text(small) if small is not None else ""
    m = _CLASS_TRANSPONDER.match(text)
    if not m:
        ctx.problem(f"{field}.class", text or None, 'not "<class> (<transponder>)"')
        return text, None
    return m["class_name"], m["transponder"].strip() or None


def _start(ctx: ParseContext, field: str, cell: etree._Element, day: dt.date) -> dt.datetime | None:
    hidden = _first_hidden(cell)
    stamp_text = cell_text(hidden) if hidden is not None else None
    start = ctx.read(f"{field}.start", stamp_text, parse_iso_stamp, required=True)
    if start is not None and start.date() != day:
        ctx.problem(f"{field}.start", stamp_text, f"session starts outside the day {day.isoformat()}")
    return start


def _first_hidden(cell: etree._Element) -> etree._Element | None:
    """The first descendant whose class list has ``hidden``: the XPath
    ``.//*[contains(concat(" ", normalize-space(@class), " "), " hidden ")]`` without compiling and
    running an XPath per row (it was the row's largest cost). normalize-space splits on XML
    whitespace only, hence the explicit separators."""
    for element in cell.iterdescendants(etree.Element):
        classes = element.get("class")
        if classes and "hidden" in classes.replace("\t", " ").replace("\n", " ").replace("\r", " ").split(" "):
            return element
    return None


def _check_total_laps(ctx: ParseContext, table: etree._Element, day: PracticeDay) -> None:
    """The Practice Stats panel's Total Laps is the sum of the session rows' laps, or the page is
    not whole (487 = 487 on practice-day-overview-canberraoffroad-2025-10-25.html; every generated
    day). Only checked when every row was read: a row skipped for a bad cell is already a problem.
    Unique Drivers is not used: it leaves out "Unknown Driver" (FIELD-GUIDE §9)."""
    total = day.stats.total_laps if day.stats is not None else None
    if total is None or len(day.sessions) != len(table.findall("tbody/tr")):
        return
    laps = [s.laps for s in day.sessions]
    if None in laps:
        return
    if sum(laps) != total:
        raise ctx.incomplete(f"Practice Stats says {total} total laps, the {len(laps)} sessions listed add up to {sum(laps)}",
                             "stats.total_laps")


# --- Practice Stats panel -----------------------------------------------------------------------
def _panel_headings(tree: etree._Element) -> list[tuple[str, etree._Element]]:
    """Each ``div.panel-heading``'s cleaned text and element, in page order (one walk for both panels)."""
    return [(clean(text_of(heading)), heading) for heading in with_class(tree, "panel-heading") if heading.tag == "div"]


def _child(row: etree._Element, tag: str) -> etree._Element | None:
    """``row.find(tag)``: the first child of that tag, without ElementPath's per-call cost."""
    return next(row.iterchildren(tag), None)


def _panel(headings: list[tuple[str, etree._Element]], caption_start: str) -> etree._Element | None:
    for text, heading in headings:
        if text.startswith(caption_start):
            return heading.getparent()
    return None


def _stats(ctx: ParseContext, headings: list[tuple[str, etree._Element]]) -> PracticeStats | None:
    panel = _panel(headings, "Practice Stats")
    if panel is None:
        ctx.problem("stats", None, "no Practice Stats panel")
        return None
    values: dict[str, etree._Element] = {}
    for row in panel.iter("tr"):  # as iterfind(".//tr") (a panel is a div), without ElementPath
        th, td = _child(row, "th"), _child(row, "td")
        if th is not None and td is not None:
            values[clean(text_of(th)).lower()] = td

    def text(label: str) -> str | None:
        cell = values.get(label)
        if cell is None:
            ctx.problem(f"stats.{label}", None, "missing row")
            return None
        return clean(text_of(cell))

    time_range = dict(_labelled(line) for line in br_lines(values["time range"])) if "time range" in values else {}
    if not time_range:
        ctx.problem("stats.time range", None, "missing row")
    return PracticeStats(
        total_laps=ctx.read("stats.total_laps", text("total laps"), parse_int),
        total_track_time_seconds=ctx.read("stats.total_track_time", text("total track time"), parse_spelled_duration),
        unique_drivers=ctx.read("stats.unique_drivers", text("unique drivers"), parse_int),
        unique_classes=ctx.read("stats.unique_classes", text("unique classes"), parse_int),
        first_session_local=ctx.read("stats.first_session", time_range.get("first session"), parse_clock),
        last_session_local=ctx.read("stats.last_session", time_range.get("last session"), parse_clock),
        laps_per_class=_laps_per_class(ctx, panel),
    )


def _laps_per_class(ctx: ParseContext, panel: etree._Element) -> dict[str, int]:
    """``var data = [{"label":"1\\/10 Open","data":221},…];`` is valid JSON (the pie chart's data)."""
    for script in panel.iter("script"):
        source = script.text or ""
        m = _LAPS_PER_CLASS.search(source)
        if not m:
            continue
        try:
            data, _ = decode_at(source, m.end())
            return {str(slice_["label"]): int(slice_["data"]) for slice_ in data}
        except (ValueError, TypeError, KeyError) as exc:
            ctx.problem("stats.laps_per_class", source[m.end():m.end() + 200], f"unreadable: {exc}")
            return {}
    ctx.problem("stats.laps_per_class", None, "no 'var data = [...]' laps-by-class chart data")
    return {}


# --- Practice Leaderboard panel -----------------------------------------------------------------
def _leaderboard(ctx: ParseContext, headings: list[tuple[str, etree._Element]]) -> list[PracticeLeader]:
    panel = _panel(headings, "Practice Leaderboard")
    if panel is None:
        ctx.problem("leaderboard", None, "no Practice Leaderboard panel")
        return []
    leaders: list[PracticeLeader] = []
    for row in panel.iter("tr"):  # as iterfind(".//tr") (a panel is a div), without ElementPath
        th, td = _child(row, "th"), _child(row, "td")
        if th is None or td is None:
            continue
        scope = clean(text_of(th))
        link = next(td.iter("a"), None)  # .find(".//a"): a td is never an a
        m = _SESSION_ID.search(link.get("href", "")) if link is not None else None
        if m is None:
            ctx.problem(f"leaderboard[{scope}].session_id", clean(text_of(td)), "no view_session link")
        # "Overall Fastest": 23.423 (<small>Bernie McMahon</small>)<br/><small>1/8 Nitro Buggy</small>;
        # a class row:      31.594 <small>(Hamish McCallum)</small> and the class is the row header.
        smalls = [clean(text_of(s)).strip("() ") for s in td.iter("small")]
        class_name = smalls[1] if len(smalls) > 1 else (None if scope.lower() == "overall fastest" else scope)
        leaders.append(
            PracticeLeader(
                scope=scope,
                lap_time=ctx.read(f"leaderboard[{scope}].lap_time",
                                  clean(text_of(link)) if link is not None else None, parse_float, required=True),
                driver_name=smalls[0] if smalls and smalls[0] else None,
                class_name=class_name,
                session_id=int(m[1]) if m else None,
            )
        )
    return leaders
