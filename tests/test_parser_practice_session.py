"""The practice session parser against practice-session-21289501.html (Daniel Quinton, 5 laps)."""

from __future__ import annotations

import datetime as dt
import statistics

import pytest

from mre_crawler.errors import WrongPageType
from mre_crawler.parsers import practice_session

pytestmark = pytest.mark.liverc
FILE = "practice-session-21289501.html"


def _parse(liverc, body=None, url=None, meta=None):
    page = liverc[FILE]
    return practice_session.parse(page.body if body is None else body, url or page.url, meta)


@pytest.fixture(scope="module")
def session(liverc):
    result = _parse(liverc)
    assert result.problems == []
    return result.item


def test_identity_and_times(session):
    assert (session.track_slug, session.session_id) == ("canberraoffroad", 21289501)
    assert (session.driver_name, session.class_name, session.transponder) == ("Daniel Quinton", "1/8 Nitro Buggy", "8603914")
    assert session.date == dt.date(2025, 10, 25)
    assert session.start_local == dt.datetime(2025, 10, 25, 14, 43, 27)
    assert session.end_local == dt.datetime(2025, 10, 25, 14, 50, 17)
    assert session.length_seconds == 229  # "3:49", the sum of lap times, not End - Start


def test_stats_block(session):
    assert (session.lap_count, session.fastest_lap, session.top3_consecutive) == (5, 42.996, 133.270)
    assert (session.avg_lap, session.avg_top5) == (45.815, 45.815)
    # Too few laps for a top-10 or top-15 average: empty on the page, None here, and no problem.
    assert (session.avg_top10, session.avg_top15) == (None, None)
    assert (session.std_deviation, session.consistency) == (2.430, 94.695)
    assert (session.valid_lap_min, session.valid_lap_max) == (20.0, 70.0)  # "20 to 1:10"


def test_laps_from_the_chart_data(session):
    assert len(session.laps) == session.lap_count == 5
    first = session.laps[0]
    assert (first.lap_number, first.lap_time, first.end_local, first.is_valid) == (
        1, 42.996, dt.datetime(2025, 10, 25, 14, 44, 10), True)
    assert [lap.lap_time for lap in session.laps] == [42.996, 47.016, 43.258, 49.466, 46.339]


def test_laps_agree_with_the_printed_figures(session):
    times = [lap.lap_time for lap in session.laps]
    assert min(times) == session.fastest_lap
    assert round(sum(times)) == session.length_seconds
    assert statistics.fmean(times) == pytest.approx(session.avg_lap, abs=0.0005)
    assert statistics.pstdev(times) == pytest.approx(session.std_deviation, abs=0.0005)
    consistency = 100 * (1 - statistics.pstdev(times) / statistics.fmean(times))
    assert consistency == pytest.approx(session.consistency, abs=0.0005)
    assert min(sum(times[i:i + 3]) for i in range(len(times) - 2)) == pytest.approx(session.top3_consecutive)


def test_lap_end_times_follow_on_from_the_start(session):
    # Lap 1 ends 43 s after the 14:43:27 start; each later lap ends about one lap time later.
    previous = session.start_local
    for lap in session.laps:
        assert (lap.end_local - previous).total_seconds() == pytest.approx(lap.lap_time, abs=1.0)
        previous = lap.end_local


def test_an_end_clock_before_the_start_is_the_next_day(liverc):
    body = liverc[FILE].body.replace(b"Start: 2:43:27pm", b"Start: 11:58:10pm", 1).replace(b"End: 2:50:17pm", b"End: 12:05:02am", 1)
    session = _parse(liverc, body).item
    assert session.start_local == dt.datetime(2025, 10, 25, 23, 58, 10)
    assert session.end_local == dt.datetime(2025, 10, 26, 0, 5, 2)


def test_a_lap_list_that_disagrees_with_the_chart_data_is_reported(liverc):
    body = liverc[FILE].body.replace(b">Lap 2: 47.016<", b">Lap 2: 47.116<", 1)
    result = _parse(liverc, body)
    assert result.item.laps[1].lap_time == 47.016  # the chart data is kept
    [problem] = result.problems
    assert (problem.field, problem.text) == ("lap[2].lap_time", "Lap 2: 47.116")


def test_an_unreadable_lap_time_is_one_problem_and_the_other_laps_kept(liverc):
    body = liverc[FILE].body.replace(b'"lap_time":"43.258"', b'"lap_time":"43.2x8"', 1)
    result = _parse(liverc, body)
    laps = result.item.laps
    assert len(laps) == 5
    assert laps[2].lap_time is None and laps[2].end_local == dt.datetime(2025, 10, 25, 14, 45, 41)
    [problem] = result.problems
    assert (problem.page_type, problem.field, problem.text) == ("practice_session", "lap[3].lap_time", "43.2x8")


def test_the_session_id_comes_from_meta_first(liverc):
    result = _parse(liverc, url="file:///saved/session.html", meta={"track_slug": "canberraoffroad", "session_id": "21289501"})
    assert result.problems == []
    assert (result.item.track_slug, result.item.session_id) == ("canberraoffroad", 21289501)


def test_non_pages_are_refused(not_a_page):
    with pytest.raises(WrongPageType):
        practice_session.parse(not_a_page, "https://canberraoffroad.liverc.com/practice/?p=view_session&id=21289501")


def test_another_page_type_is_refused(liverc):
    page = liverc["practice-day-overview-canberraoffroad-2025-10-25.html"]
    with pytest.raises(WrongPageType):
        practice_session.parse(page.body, "https://canberraoffroad.liverc.com/practice/?p=view_session&id=21289501")



def test_a_lap_record_without_its_number_is_one_skipped_row_and_the_other_laps_kept(liverc, session):
    from mre_crawler.parsers.base import ParseContext
    from mre_crawler.parsers.detect import plain_tree

    body = liverc[FILE].body.replace(b'"x":"3"', b'"y":"3"', 1)
    assert body != liverc[FILE].body
    ctx = ParseContext("practice_session", liverc[FILE].url)
    laps = practice_session._json_laps(ctx, plain_tree(body, liverc[FILE].url, "practice_session"), session)
    [skipped] = ctx.problems
    assert (skipped.field, skipped.reason) == ("lap[2]", "row skipped: KeyError: 'x'") and '"y": "3"' in skipped.text
    assert [lap.lap_number for lap in laps] == [1, 2, 4, 5]
