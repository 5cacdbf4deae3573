"""The practice day parser against practice-day-overview-canberraoffroad-2025-10-25.html (56 sessions).

The page prints its own totals (Practice Stats panel); the session rows must add up to them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from mre_crawler.errors import WrongPageType
from mre_crawler.parsers import practice_day_overview

pytestmark = pytest.mark.liverc
FILE = "practice-day-overview-canberraoffroad-2025-10-25.html"


def _parse(liverc, body=None, url=None, meta=None):
    page = liverc[FILE]
    return practice_day_overview.parse(page.body if body is None else body, url or page.url, meta)


@pytest.fixture(scope="module")
def day(liverc):
    result = _parse(liverc)
    assert result.problems == []
    return result.item


def _session(day, session_id):
    [session] = [s for s in day.sessions if s.session_id == session_id]
    return session


def test_day_and_session_count(day):
    assert (day.track_slug, day.date) == ("canberraoffroad", dt.date(2025, 10, 25))
    assert len(day.sessions) == 56
    assert len({s.session_id for s in day.sessions}) == 56


def test_session_laps_add_up_to_the_printed_total(day):
    assert sum(s.laps for s in day.sessions) == day.stats.total_laps == 487


def test_laps_times_average_add_up_to_the_printed_track_time(day):
    # 7 hours, 16 minutes, 45 seconds = 26,205 s; the rows give 26,204.7 s (FIELD-GUIDE §9).
    assert day.stats.total_track_time_seconds == 26_205
    assert sum(s.laps * s.avg_lap for s in day.sessions) == pytest.approx(26_204.7, abs=0.05)


def test_unique_drivers_and_classes_match_the_panel(day):
    drivers = {s.driver_name for s in day.sessions} - {"Unknown Driver"}
    assert len(drivers) == day.stats.unique_drivers == 9
    assert len({s.class_name for s in day.sessions}) == day.stats.unique_classes == 4


def test_laps_per_class_chart_matches_the_rows(day):
    assert day.stats.laps_per_class == {"1/10 Open": 221, "1/8 Electric Buggy": 160, "1/8 Nitro Buggy": 77, "Unknown Class": 29}
    per_class = Counter()
    for s in day.sessions:
        per_class[s.class_name] += s.laps
    assert dict(per_class) == day.stats.laps_per_class


def test_first_and_last_session_times_match_the_rows(day):
    starts = sorted(s.start_local for s in day.sessions)
    assert (day.stats.first_session_local, day.stats.last_session_local) == (dt.time(10, 58, 33), dt.time(16, 36, 38))
    assert (starts[0].time(), starts[-1].time()) == (day.stats.first_session_local, day.stats.last_session_local)


@pytest.mark.parametrize(
    ("session_id", "expected"),
    [
        # driver, class, transponder, start, laps, length s, fastest, average
        (21290331, ("Conor Merrigan", "1/10 Open", "9783013", dt.datetime(2025, 10, 25, 16, 36, 38), 9, 508, 34.746, 56.437)),
        (21290187, ("Conor Merrigan", "1/10 Open", "9783013", dt.datetime(2025, 10, 25, 16, 11, 39), 1, 55, 54.527, 54.527)),
        (21288828, ("Unknown Driver", "Unknown Class", "3071066", dt.datetime(2025, 10, 25, 13, 44, 17), 9, 673, 55.831, 74.762)),
    ],
)
def test_session_rows(day, session_id, expected):
    s = _session(day, session_id)
    assert (s.driver_name, s.class_name, s.transponder, s.start_local, s.laps, s.length_seconds, s.fastest_lap, s.avg_lap) == expected


def test_one_driver_can_use_several_transponders(day):
    transponders = {s.transponder for s in day.sessions if s.driver_name == "Greg Rosander"}
    assert len(transponders) == 3


def test_leaderboard_rows(day):
    leaders = {leader.scope: leader for leader in day.leaderboard}
    overall = leaders["Overall Fastest"]
    assert (overall.lap_time, overall.driver_name, overall.class_name, overall.session_id) == (
        23.423, "Bernie McMahon", "1/8 Nitro Buggy", 21290106)
    assert (leaders["1/8 Electric Buggy"].driver_name, leaders["1/8 Electric Buggy"].session_id) == ("Hamish McCallum", 21289577)
    # The record holder's session is on this day and its fastest lap is the record.
    assert _session(day, 21290106).fastest_lap == 23.423


def test_a_requested_day_that_disagrees_with_the_page_is_reported(liverc):
    result = _parse(liverc, url="https://canberraoffroad.liverc.com/practice/?p=session_list&d=2025-10-26")
    assert result.item.date == dt.date(2025, 10, 25)  # the page's own date
    [problem] = result.problems
    assert (problem.field, problem.text) == ("date", "2025-10-26")


def test_the_date_comes_from_the_title_when_the_url_has_none(liverc):
    result = _parse(liverc, url="file:///saved/day.html", meta={"track_slug": "canberraoffroad"})
    assert result.problems == []
    assert result.item.date == dt.date(2025, 10, 25)


def test_an_unreadable_average_is_one_problem_and_the_row_kept(liverc):
    body = liverc[FILE].body.replace(b"Avg: 56.437", b"Avg: 56.4x7", 1)
    result = _parse(liverc, body)
    assert len(result.item.sessions) == 56
    s = _session(result.item, 21290331)
    assert (s.avg_lap, s.laps, s.fastest_lap) == (None, 9, 34.746)
    [problem] = result.problems
    assert (problem.page_type, problem.field, problem.text) == ("practice_day_overview", "session[21290331].avg_lap", "56.4x7")


def test_a_row_without_a_session_link_is_skipped_with_one_problem(liverc):
    body = liverc[FILE].body.replace(b"p=view_session&id=21290331", b"p=view_session&id=abc", 1)
    result = _parse(liverc, body)
    assert len(result.item.sessions) == 55
    [problem] = result.problems
    assert (problem.field, problem.text) == ("session[0].session_id", "/practice/?p=view_session&id=abc")


def test_non_pages_are_refused(not_a_page):
    with pytest.raises(WrongPageType):
        practice_day_overview.parse(not_a_page, "https://canberraoffroad.liverc.com/practice/?p=session_list&d=2025-10-25")


def test_another_page_type_is_refused(liverc):
    page = liverc["practice-session-21289501.html"]
    with pytest.raises(WrongPageType):
        practice_day_overview.parse(page.body, "https://canberraoffroad.liverc.com/practice/?p=session_list&d=2025-10-25")
