"""Practice commands over the real LiveRC pages in ../shared/liverc, served on 127.0.0.1.

Saved: the October 2025 month view of canberraoffroad (3 practice days: Oct 25 with 56 sessions,
and two more whose overviews are not saved), the Oct 25 overview (56 rows; Practice Stats panel:
487 laps, 7 h 16 min 45 s, 9 unique drivers, 4 unique classes) and one session page, 21289501
(Daniel Quinton, 1/8 Nitro Buggy, 5 laps). Everything else answers 404.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from mre_crawler.parsers import parse_page

pytestmark = [pytest.mark.liverc, pytest.mark.db]

TRACK = "canberraoffroad"
DAY_KEY = "canberraoffroad-practice-2025-10-25"


@pytest.fixture
def site(liverc, serve):
    return serve(liverc["practice-session-21289501.html"].path.parent).site


def _month(liverc):
    page = liverc["practice-month-canberraoffroad-2025-10.html"]
    return parse_page(page.body, page.url, page.page_type, {"track_slug": TRACK}).item


def test_discover_october_2025_lists_the_month_views_three_days_and_the_56_sessions(liverc, site, practice, pg_conn):
    run = practice("discover", TRACK, site=site, date_from="2025-10-01", date_to="2025-10-31")

    month = _month(liverc)
    assert len(month.days) == 3
    found = {d.date: d for d in run.report.discovered}
    assert sorted(found) == sorted(ref.date for ref in month.days)
    oct25 = found[dt.date(2025, 10, 25)]
    assert oct25.month_session_count == 56 and oct25.summary["session_count"] == 56
    assert oct25.summary["total_laps"] == 487 and oct25.summary["unique_drivers"] == 9
    # The two days whose overviews are not saved are listed with the reason, not dropped.
    missing = [d for d in found.values() if d.overview_error]
    assert len(missing) == 2 and all(d.overview_error == "HTTP 404" for d in missing)
    rows = pg_conn.execute("SELECT practice_date, month_session_count, session_count, cardinality(session_ids) "
                           "FROM mre.practice_discoveries ORDER BY practice_date").fetchall()
    assert len(rows) == 3 and (dt.date(2025, 10, 25), 56, 56, 56) in rows


def test_ingest_2025_10_25_stores_56_sessions_the_real_laps_and_the_panel_statistics(liverc, site, practice, pg_conn):
    run = practice("ingest", TRACK, site=site, date="2025-10-25")

    [outcome] = run.report.outcomes
    assert outcome.status == "stored" and outcome.sessions == 56
    assert pg_conn.execute("SELECT count(*) FROM mre.practice_sessions WHERE source_event_id = %s "
                           "AND removed_at IS NULL", (DAY_KEY,)).fetchone()[0] == 56
    event = pg_conn.execute("SELECT source, event_id, name, date_start FROM mre.events WHERE source_event_id = %s",
                            (DAY_KEY,)).fetchone()
    assert event == ("practice", None, "Canberra Off Road Model Car Club - Practice Day - October 25, 2025",
                     dt.date(2025, 10, 25))

    # Session 21289501: 5 laps, lap 1 42.996 s ending 2:44:10pm (practice-session-21289501.html).
    laps = pg_conn.execute("SELECT lap_number, lap_time::float8, end_local, end_utc FROM mre.practice_laps "
                           "WHERE session_id = 21289501 ORDER BY lap_number").fetchall()
    assert [r[0] for r in laps] == [1, 2, 3, 4, 5]
    assert laps[0][1] == 42.996 and laps[0][2] == dt.datetime(2025, 10, 25, 14, 44, 10)
    assert laps[0][3] == dt.datetime(2025, 10, 25, 3, 44, 10, tzinfo=dt.timezone.utc)  # AEDT, UTC+11
    session = pg_conn.execute("SELECT driver_name, driver_key, class_key, transponder, lap_count, end_local "
                              "FROM mre.practice_sessions WHERE session_id = 21289501").fetchone()
    assert session == ("Daniel Quinton", "daniel quinton", "1/8 nitro buggy", "8603914", 5,
                       dt.datetime(2025, 10, 25, 14, 50, 17))

    # Our statistics against LiveRC's panel (practice-day-overview-canberraoffroad-2025-10-25.html).
    stats = pg_conn.execute(
        """SELECT session_count, total_laps, unique_drivers, unique_classes, unique_known_classes,
                  panel_total_laps, panel_unique_drivers, panel_unique_classes, total_track_time_seconds::float8,
                  panel_total_track_time_seconds, matches_panel, time_zone, first_session_start_local
           FROM mre.practice_days WHERE source_event_id = %s""", (DAY_KEY,)).fetchone()
    assert stats[:8] == (56, 487, 9, 4, 3, 487, 9, 4)
    assert stats[8] == pytest.approx(26204.7) and stats[9] == 7 * 3600 + 16 * 60 + 45
    assert stats[10] is True and stats[11] == "Australia/Sydney"
    assert stats[12] == dt.datetime(2025, 10, 25, 10, 58, 33)
    # Greg Rosander ran 3 transponders: one driver, three transponder links.
    links = pg_conn.execute("SELECT count(*) FROM mre.practice_transponder_drivers WHERE driver_key = 'greg rosander'"
                            ).fetchone()[0]
    assert links == 3

    # The 55 missing session pages are logged for retry, and listed in the run's failures.
    retry = {r[0] for r in pg_conn.execute("SELECT session_id FROM mre.practice_retry WHERE resolved_at IS NULL")}
    day = parse_page(liverc["practice-day-overview-canberraoffroad-2025-10-25.html"].body,
                     liverc["practice-day-overview-canberraoffroad-2025-10-25.html"].url,
                     "practice_day_overview", {"track_slug": TRACK}).item
    assert retry == {s.session_id for s in day.sessions} - {21289501} and len(retry) == 55
    assert sorted(outcome.details_failed) == sorted(retry)
    assert len([f for f in run.failures if "view_session" in f[0]]) == 55

    # The run's metrics are stored.
    row = pg_conn.execute("SELECT requests, details_fetched, details_failed, days, failures FROM mre.practice_runs "
                          "WHERE run_id = %s", (run.run_id,)).fetchone()
    assert row == (run.metrics["requests"], 1, 55, 1, len(run.failures))


def test_retry_fetches_only_the_logged_pages_and_keeps_them_logged_while_missing(site, practice, pg_conn, serve):
    practice("ingest", TRACK, site=site, date="2025-10-25")
    before = pg_conn.execute("SELECT max(updated_at) FROM mre.practice_sessions").fetchone()[0]
    run = practice("retry", TRACK, site=site)

    assert run.metrics["requests"] == 55  # the logged pages only, still 404
    assert pg_conn.execute("SELECT count(*), min(attempts) FROM mre.practice_retry WHERE resolved_at IS NULL"
                           ).fetchone() == (55, 2)
    assert pg_conn.execute("SELECT max(updated_at) FROM mre.practice_sessions").fetchone()[0] == before


@pytest.mark.parametrize("argv, reason", [
    (["discover", "--track", TRACK, "--from", "2025-10-01", "--to", "2026-01-01"], "range too long"),
    (["ingest", "--track", TRACK, "--from", "2025-10-31", "--to", "2025-10-01"], "reversed range"),
    (["discover", "--track", TRACK], "an explicit range is required"),
    (["ingest", "--track", TRACK, "--from", "2025-10-01"], "give both --from and --to"),
    (["archive", "--older-than", "six months"], "--older-than wants an age"),
])
def test_bad_ranges_are_refused_with_the_reason_and_exit_2(argv, reason, capsys):
    from mre_crawler.cli import main

    assert main(["practice", *argv]) == 2
    assert reason in capsys.readouterr().err


def test_mre_practice_discover_json_lists_days_and_sessions(site, pg_url, pg_conn, tmp_path, monkeypatch, capsys):
    from mre_crawler.cli import main

    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    monkeypatch.setenv("MRE_HOME", str(tmp_path / "home"))
    code = main(["practice", "discover", "--track", TRACK, "--from", "2025-10-01", "--to", "2025-10-31",
                 "--site", site, "--sessions", "--json", "-s", "MRE_ROBOTSTXT_ENABLED=0"])
    # Most session pages are not among the saved pages (404s): the days are still listed, and the
    # crawl-health check on the 4xx share says so with exit 3 (ran, but unhealthy).
    assert code == 3
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines()[-1] == (
        "mre practice: the crawl ran, but crawl-health checks failed: http_error_share")
    out = json.loads(captured.out)
    days = {d["date"]: d for d in out["days"]}
    assert len(days) == 3
    assert days["2025-10-25"]["session_count"] == 56 and len(days["2025-10-25"]["sessions"]) == 56
    assert days["2025-10-25"]["last_session_end"].startswith("2025-10-25T16:4")
    assert {f["reason"] for f in out["failures"]} == {"HTTP 404"}
