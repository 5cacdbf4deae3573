"""The practice rules on their own: ranges, the DST rule, the day statistics, driver identity."""

from __future__ import annotations

import datetime as dt

import pytest

from mre_crawler.practice.identity import practice_driver_key
from mre_crawler.practice.ranges import RangeError, day_range, older_than_cutoff
from mre_crawler.practice.statistics import SessionFacts, day_stats
from mre_crawler.practice.timing import resolve_sequence

D = dt.date


@pytest.mark.parametrize("first, last, ok", [
    ("2025-09-01", "2025-11-30", True),    # exactly three calendar months
    ("2025-09-01", "2025-12-01", False),
    ("2025-11-30", "2026-02-27", True),    # Nov 30 + 3 months = Feb 28 (clamped)
    ("2025-11-30", "2026-02-28", False),
    ("2025-10-25", "2025-10-25", True),
    ("2025-10-26", "2025-10-25", False),   # reversed
])
def test_ranges_are_at_most_three_months_and_forward(first, last, ok):
    if ok:
        r = day_range(first, last)
        assert (r.first, r.last) == (D.fromisoformat(first), D.fromisoformat(last))
    else:
        with pytest.raises(RangeError):
            day_range(first, last)


def test_a_range_reads_one_month_view_per_month_it_touches():
    assert day_range("2025-09-15", "2025-11-02").months == ["2025-09", "2025-10", "2025-11"]


@pytest.mark.parametrize("age, cutoff", [("6m", D(2025, 5, 30)), ("30d", D(2025, 10, 31)), ("1y", D(2024, 11, 30)),
                                         ("2w", D(2025, 11, 16))])
def test_older_than_ages(age, cutoff):
    assert older_than_cutoff(age, today=D(2025, 11, 30)) == cutoff


@pytest.mark.parametrize("name, key", [("Greg Rosander", "greg rosander"), ("GREG  ROSANDER", "greg rosander"),
                                       ("Unknown Driver", None), ("", None)])
def test_practice_driver_key_is_the_normalized_name_and_unknown_driver_is_nobody(name, key):
    assert practice_driver_key(name) == key


def T(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_fall_back_repeated_hour_is_first_occurrence_until_the_session_shows_the_clock_went_back():
    # Sydney: 2025-04-06 03:00 AEDT -> 02:00 AEST. Laps end 02:50, 02:58 (first pass), then 02:05
    # and 02:15 (the clock has gone back: the second occurrence).
    moments = resolve_sequence([T("2025-04-06 02:40:00"), T("2025-04-06 02:50:00"), T("2025-04-06 02:58:00"),
                                T("2025-04-06 02:05:00"), T("2025-04-06 02:15:00")], "Australia/Sydney")
    utc = [m.utc for m in moments]
    assert utc == sorted(utc)
    assert utc[0] == dt.datetime(2025, 4, 5, 15, 40, tzinfo=dt.timezone.utc)  # AEDT, UTC+11
    assert utc[3] == dt.datetime(2025, 4, 5, 16, 5, tzinfo=dt.timezone.utc)   # AEST, UTC+10
    assert {m.flag for m in moments} == {"ambiguous"}


def test_spring_forward_skipped_hour_is_shifted_by_the_gap_and_flagged():
    [m] = resolve_sequence([T("2025-10-05 02:30:00")], "Australia/Sydney")
    assert m.flag == "nonexistent" and m.utc == dt.datetime(2025, 10, 4, 16, 30, tzinfo=dt.timezone.utc)


def test_no_zone_gives_no_instant():
    [m] = resolve_sequence([T("2025-10-05 12:00:00")], None)
    assert m.utc is None and m.flag == "no_zone"


def _facts(rows):
    return [SessionFacts(i, *r) for i, r in enumerate(rows)]


def test_day_statistics_follow_liverc_where_defined_and_normalize_the_rest():
    start = T("2025-10-25 10:00:00")
    stats = day_stats(_facts([
        # driver_key, class_key, class_name, transponder, start, end, laps, length, avg
        ("greg rosander", "1/10 open", "1/10 Open", "1", start, None, 10, 400, 40.0),
        ("greg rosander", "1/8 nitro buggy", "1/8 Nitro Buggy", "2", start + dt.timedelta(hours=1), None, 5, 200, 40.0),
        (None, "unknown class", "Unknown Class", "3", start + dt.timedelta(hours=2), None, 3, 150, 50.0),
        ("jo bloggs", "1/10 open", "1-10 open", "3", start + dt.timedelta(hours=3),
         start + dt.timedelta(hours=3, minutes=9), 4, 160, 40.0),
    ]))
    assert (stats.session_count, stats.total_laps, stats.total_track_time_seconds) == (4, 22, 910.0)
    assert stats.unique_drivers == 2  # one person on two transponders; Unknown Driver is nobody
    assert (stats.unique_classes, stats.unique_known_classes) == (3, 2)  # "1/10 Open" == "1-10 open"
    assert stats.unique_transponders == 3
    assert stats.last_session_end_local == start + dt.timedelta(hours=3, minutes=9)  # its end, not its start
    assert stats.last_session_end_estimated is False


def test_real_day_statistics_match_the_panel(liverc):
    from mre_crawler.parsers import parse_page
    from mre_crawler.practice.discovery import overview_summary

    page = liverc["practice-day-overview-canberraoffroad-2025-10-25.html"]
    day = parse_page(page.body, page.url, page.page_type, {"track_slug": "canberraoffroad"}).item
    s = overview_summary(day)
    assert (s["total_laps"], s["unique_drivers"], s["unique_classes"]) == (
        day.stats.total_laps, day.stats.unique_drivers, day.stats.unique_classes) == (487, 9, 4)
    assert round(s["total_track_time_seconds"]) == day.stats.total_track_time_seconds == 26205
