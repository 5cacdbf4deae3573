"""A track's events list, read off track-events-canberraoffroad.html."""

from __future__ import annotations

import datetime as dt

import pytest

from mre_crawler.parsers import track_events

EVENTS = "track-events-canberraoffroad.html"


@pytest.fixture(scope="module")
def parsed(liverc):
    page = liverc[EVENTS]
    return track_events.parse(page.body, page.url)


def test_one_summary_per_row(parsed) -> None:
    assert parsed.problems == []
    assert len(parsed.items) == 100
    assert {e.track_slug for e in parsed.items} == {"canberraoffroad"}
    assert len({e.event_id for e in parsed.items}) == 100


def test_dates_span_2017_to_2025(parsed) -> None:
    dates = [e.event_date for e in parsed.items]
    assert (min(dates), max(dates)) == (dt.date(2017, 9, 10), dt.date(2025, 11, 16))
    assert all(e.start_local.date() == e.event_date for e in parsed.items)


def test_the_newest_event(parsed) -> None:
    e = parsed.items[0]
    assert (e.event_id, e.name) == (486677, "Cormcc 2025 Rudi Wensing Memorial, Clay Cup")
    assert (e.start_local, e.start_has_time) == (dt.datetime(2025, 11, 16, 8, 30), True)
    assert (e.entries, e.drivers) == (71, 60)


def test_midnight_stamps_mean_no_time(parsed) -> None:
    no_time = [e for e in parsed.items if not e.start_has_time]
    assert len(no_time) == 75
    assert all(e.start_local.time() == dt.time(0, 0) for e in no_time)


def test_zero_entries_and_drivers_are_kept(parsed) -> None:
    club = next(e for e in parsed.items if e.name == "2024 Club Challenge")
    assert (club.entries, club.drivers) == (0, 0)


def test_multi_day_events_keep_both_days(parsed) -> None:
    raw_speed = next(e for e in parsed.items if e.event_id == 467750)
    assert (raw_speed.event_date, raw_speed.event_date_end) == (dt.date(2025, 5, 3), dt.date(2025, 5, 4))
    single = parsed.items[0]
    assert single.event_date_end == single.event_date


def test_a_corrupted_stamp_keeps_the_row_and_others(liverc) -> None:
    page = liverc[EVENTS]
    body = page.body.replace(b'<span class="hidden">2025-11-16 08:30:00</span>', b'<span class="hidden">2025-13-16 08:30:00</span>')
    result = track_events.parse(body, page.url)
    assert len(result.items) == 100
    assert [(p.field, p.text) for p in result.problems] == [("track_events.row[1].start", "2025-13-16 08:30:00")]
    assert (result.items[0].start_local, result.items[0].start_has_time, result.items[0].event_date) == (None, False, dt.date(2025, 11, 16))


def test_a_row_without_an_event_link_is_skipped_and_reported(liverc) -> None:
    page = liverc[EVENTS]
    body = page.body.replace(b'<a href="/results/?p=view_event&id=486677">', b"<a>", 1)
    result = track_events.parse(body, page.url)
    assert len(result.items) == 99
    assert [p.field for p in result.problems] == ["track_events.row[1]"]


def test_without_a_track_slug_the_rows_are_kept_and_the_gap_reported(liverc) -> None:
    result = track_events.parse(liverc[EVENTS].body, "file:///tmp/events.html")
    assert len(result.items) == 100
    assert [p.field for p in result.problems] == ["track_slug"]
