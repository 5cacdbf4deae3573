"""The practice session's fast lap readers give the general readers' laps and problems on any input."""

from __future__ import annotations

from hypothesis import example, given, strategies as st

from mre_crawler.items import PracticeSession
from mre_crawler.parsers import practice_session as ps
from mre_crawler.parsers.base import ParseContext

NUM = st.sampled_from(["0", "1", "2", "9", "10", "12", "13", "00", "07", "29", "30", "31", "59", "60", "99", "2025", "٢"])
LAP_TIMES = st.one_of(st.sampled_from(["42.996", "0.5", "1:02.3", " 42.9", "42", "", "4,2.1", "x", "١.٢", "1e3"]),
                      st.floats(min_value=0, max_value=1e4).map(str), st.integers(), st.none())


@st.composite
def records(draw):
    y, mo, d, h, mi, s, h12 = (draw(NUM) for _ in range(7))
    date = draw(st.one_of(st.just(f"{y}-{mo}-{d}"), st.sampled_from(["2025-10-25", "2024-02-29", "2025-02-29", ""]), st.none()))
    time = draw(st.one_of(st.just(f"{h}:{mi}:{s}"), st.sampled_from(["14:44:10", "00:00:00", "23:59:59", " 14:44:10"])))
    shown = draw(st.one_of(
        st.just(f"{mo}/{d}/{y} {h12}:{mi}:{s}" + draw(st.sampled_from(["pm", "am", "PM", " pm", "xm", ""]))),
        st.sampled_from(["10/25/2025 2:44:10pm", "10/25/2025 12:00:00am", "10/25/2025  2:44:10pm", "", " "]),
        st.none(), st.integers()))
    record = {"x": draw(st.sampled_from(["1", "12", "x", 3])), "lap_time": draw(LAP_TIMES), "date": date, "time": time,
              "date_time_display": shown, "is_valid": draw(st.sampled_from(["1", "0", 1, "yes", None]))}
    for key in draw(st.lists(st.sampled_from(list(record)), max_size=2, unique=True)):
        del record[key]
    return record


def outcome(reader, record):
    ctx = ParseContext("practice_session", "https://x.liverc.com/practice/?p=view_session&id=1")
    session = PracticeSession(track_slug="x", session_id=1, driver_name="d", class_name="c", transponder=None, date=None,
                              start_local=None, end_local=None, length_seconds=None, lap_count=None, fastest_lap=None,
                              top3_consecutive=None, avg_lap=None, avg_top5=None, avg_top10=None, avg_top15=None,
                              std_deviation=None, consistency=None, valid_lap_min=30.0, valid_lap_max=60.0)
    try:
        lap = reader(ctx, record, session)
    except Exception as exc:  # the row reader turns these into a skipped row: the same one either way
        lap = (type(exc).__name__, str(exc))
    return lap, ctx.problems


@given(records())
@example({"x": "1", "lap_time": "42.996", "date": "2025-10-25", "time": "14:44:10",
          "date_time_display": "10/25/2025 2:44:10pm", "is_valid": "1"})
@example({"x": "1", "lap_time": "42.996", "date": "2025-10-25", "time": "14:44:10",
          "date_time_display": "10/25/2025 2:44:11pm", "is_valid": "1"})
@example({"x": "1", "lap_time": "42.996", "date": "2025-10-25", "time": "00:44:10",
          "date_time_display": "10/25/2025 12:44:10am", "is_valid": "1"})
@example({"x": "1", "lap_time": "42.996", "date": "2025-10-25", "time": "14:44:10",
          "date_time_display": "10/25/2025 13:44:10pm", "is_valid": "1"})
@example({"x": "1", "lap_time": "42.996", "date": "2025-10-25", "time": "00:44:10",
          "date_time_display": "10/25/2025 0:44:10am", "is_valid": "1"})
def test_fast_lap_record_reader_is_the_general_one(record) -> None:
    assert outcome(ps._json_lap, record) == outcome(ps._json_lap_read, record)


def test_fast_lap_record_reader_agrees_on_a_non_dict_record() -> None:
    assert outcome(ps._json_lap, ["1", "42.9"]) == outcome(ps._json_lap_read, ["1", "42.9"])


@st.composite
def lap_list_soup(draw, depth=0):
    gap = draw(st.sampled_from([" ", "\t", "\n", "\xa0"]))
    cls = gap.join(draw(st.lists(st.sampled_from(["laps_list", "laps_listx", "col", "fast_lap"]), max_size=2)))
    tag = draw(st.sampled_from(["div", "span", "p"]))
    children = "".join(draw(st.lists(lap_list_soup(depth + 1), max_size=3))) if depth < 3 else ""
    return f'<{tag} class="{cls}">Lap 1: 4{depth}.5{children}</{tag}>'


@given(st.lists(lap_list_soup(), min_size=1, max_size=3))
def test_lap_spans_are_the_xpaths(parts) -> None:
    from lxml import etree

    tree = etree.fromstring(f"<html><body>{''.join(parts)}</body></html>", etree.HTMLParser())
    assert ps._lap_spans(tree) == ps._LAP_SPANS(tree)


@st.composite
def detail_soup(draw, depth=0):
    cls = draw(st.sampled_from(["table", "table table-striped", "\ttable\n", "tables", "", None]))
    attr = "" if cls is None else f' class="{cls}"'
    rows = "".join(draw(st.lists(st.sampled_from(["<tr><th>Driver</th><td>A</td></tr>", "<tr><td>x</td></tr>",
                                                  "<tr><th>Class</th></tr>", "<tr><td>1</td><th>Num Laps</th></tr>"]),
                                 max_size=3)))
    inner = draw(detail_soup(depth + 1)) if depth < 2 and draw(st.booleans()) else ""
    body = f"<tbody>{rows}<tr><td>{inner}</td></tr></tbody>" if draw(st.booleans()) else rows
    return f"<table{attr}>{body}</table>"


@given(st.lists(detail_soup(), min_size=1, max_size=3))
def test_detail_rows_are_the_xpaths(parts) -> None:
    from lxml import etree

    tree = etree.fromstring(f"<html><body>{''.join(parts)}</body></html>", etree.HTMLParser())
    assert ps._detail_rows(tree) == ps._DETAIL_ROWS(tree)
