"""Practice commands over generated multi-month practice sites served on 127.0.0.1.

The generator (mre_crawler/samplesite/practice.py) knows the truth: every day's sessions and
laps, a session crossing midnight, sessions across both DST changes of Australia/Sydney, one
person on three transponders, one transponder lent to three people, Unknown Driver sessions.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from mre_crawler.samplesite import expected_items, load_truth, read_manifest
from mre_crawler.samplesite.render import render_practice_day
from mre_crawler.urls import practice_day_url, practice_month_url

pytestmark = [pytest.mark.db]

TRACK = "capitaloffroad"
RANGES = [("2025-04-01", "2025-04-30"), ("2025-09-01", "2025-11-30")]  # two calls: each at most 3 months


def truth_days(site: Path, track: str) -> dict[dt.date, tuple]:
    """date -> (PracticeDay, {session id: PracticeSession}) from the generator."""
    days, sessions = {}, {}
    for _file, url, page_type in read_manifest(site):
        if f"//{track}.liverc.com/" not in url:
            continue
        if page_type == "practice_day_overview":
            day = expected_items(site, url)[0]
            days[day.date] = day
        elif page_type == "practice_session":
            s = expected_items(site, url)[0]
            sessions[s.session_id] = s
    return {d: (day, {s.session_id: sessions[s.session_id] for s in day.sessions}) for d, day in days.items()}


def fingerprint(conn) -> dict[str, tuple]:
    out = {}
    for table in ("events", "practice_days", "practice_day_classes", "practice_sessions", "practice_laps",
                  "practice_drivers"):
        out[table] = tuple(conn.execute(f"SELECT count(*), max(updated_at) FROM mre.{table}").fetchone())
    return out


def test_discovery_and_ingestion_match_the_generators_truth(practice_site, serve, practice, pg_conn):
    server = serve(practice_site)
    truth = truth_days(practice_site, TRACK)
    found = {}
    for first, last in RANGES:
        run = practice("discover", TRACK, site=server.site, date_from=first, date_to=last)
        found.update({d.date: d for d in run.report.discovered})
    assert sorted(found) == sorted(truth)
    for day, (overview, _) in truth.items():
        assert found[day].summary["session_count"] == len(overview.sessions)
        assert found[day].summary["total_laps"] == overview.stats.total_laps

    for first, last in RANGES:
        run = practice("ingest", TRACK, site=server.site, date_from=first, date_to=last)
        assert not run.failures
    sessions = {r[0]: r[1:] for r in pg_conn.execute(
        "SELECT session_id, practice_date, lap_count, end_local FROM mre.practice_sessions WHERE removed_at IS NULL")}
    expected = {sid: s for _, (_, ss) in truth.items() for sid, s in ss.items()}
    assert set(sessions) == set(expected)
    assert all(sessions[sid][1] == s.lap_count and sessions[sid][2] == s.end_local for sid, s in expected.items())
    laps = pg_conn.execute("SELECT count(*) FROM mre.practice_laps WHERE removed_at IS NULL").fetchone()[0]
    assert laps == sum(s.lap_count for s in expected.values())
    # The generator computes the panel as LiveRC does; our figures agree on every day.
    assert pg_conn.execute("SELECT bool_and(matches_panel), count(*) FROM mre.practice_days").fetchone() == (
        True, len(truth))

    meta = load_truth(practice_site)["practice"]
    # A session crossing midnight belongs to the day it started; its last laps end the next day.
    [cross] = [c for c in meta["cross_midnight"] if c["track_slug"] == TRACK]
    row = pg_conn.execute("SELECT practice_date, source_event_id, end_local::date - start_local::date, "
                          "(SELECT max(end_local)::date FROM mre.practice_laps l WHERE l.session_id = s.session_id) "
                          "FROM mre.practice_sessions s WHERE session_id = %s", (cross["session_id"],)).fetchone()
    start_day = dt.date.fromisoformat(cross["date"])
    assert row == (start_day, f"{TRACK}-practice-{cross['date']}", 1, start_day + dt.timedelta(days=1))

    # DST: the session across each change is flagged, and its UTC instants never go back.
    for dst in [d for d in meta["dst_days"] if d["track_slug"] == TRACK]:
        flags = {r[0] for r in pg_conn.execute(
            "SELECT time_flag FROM mre.practice_laps WHERE session_id = %s AND time_flag IS NOT NULL",
            (dst["session_id"],))}
        assert flags == {"ambiguous" if dst["kind"] == "fall_back" else "nonexistent"}
        instants = [r[0] for r in pg_conn.execute(
            "SELECT end_utc FROM mre.practice_laps WHERE session_id = %s ORDER BY lap_number", (dst["session_id"],))]
        assert instants == sorted(instants)
        assert pg_conn.execute("SELECT time_flags > 0 FROM mre.practice_days WHERE practice_date = %s",
                               (dst["date"],)).fetchone()[0]

    # Identity: a lent transponder gives one driver per person; one person's three transponders give one driver.
    [shared] = [s for s in meta["shared_transponders"] if s["track_slug"] == TRACK]
    names = {r[0] for r in pg_conn.execute("SELECT driver_name FROM mre.practice_transponder_drivers "
                                           "WHERE track_slug = %s AND transponder = %s", (TRACK, shared["transponder"]))}
    assert names == set(shared["drivers"])
    [multi] = [m for m in meta["multi_transponder_drivers"] if m["track_slug"] == TRACK]
    key = multi["driver_name"].casefold()
    assert {r[0] for r in pg_conn.execute("SELECT transponder FROM mre.practice_transponder_drivers "
                                          "WHERE driver_key = %s", (key,))} == set(multi["transponders"])
    assert pg_conn.execute("SELECT count(*) FROM mre.practice_sessions WHERE driver_name = 'Unknown Driver' "
                           "AND driver_key IS NOT NULL").fetchone()[0] == 0

    # A second ingest changes nothing and fetches no session page (the overviews come from the cache).
    before = fingerprint(pg_conn)
    server.log.clear()
    for first, last in RANGES:
        run = practice("ingest", TRACK, site=server.site, date_from=first, date_to=last)
        assert run.metrics["rows_changed"] == 0 and run.metrics["details_fetched"] == 0
        assert run.metrics["cache_hits"] > 0
    assert fingerprint(pg_conn) == before
    # Every month of the ranges has a month view (an empty one without practice), cached by the
    # first runs: nothing went to the server again.
    assert not server.log, [(r.path, r.status) for r in server.log]


def test_new_sessions_upstream_are_the_only_pages_fetched_and_a_vanished_one_is_marked_removed(
        practice_site, serve, practice, pg_conn, tmp_path):
    server = serve(practice_site)
    truth = truth_days(practice_site, TRACK)
    day = max(truth)
    overview, _ = truth[day]
    name = load_truth(practice_site)["tracks"][0]["name"]
    url = practice_day_url(TRACK, day)

    def publish(sessions: list) -> None:
        # LiveRC's Practice Stats count the sessions it lists: a page whose Total Laps its rows
        # contradict is not whole and would be quarantined (issue 9).
        stats = dataclasses.replace(overview.stats, total_laps=sum(s.laps for s in sessions))
        shown = dataclasses.replace(copy.deepcopy(overview), sessions=sessions, stats=stats)
        path = tmp_path / f"overview-{len(sessions)}.html"
        path.write_text(render_practice_day(shown, track_name=name), encoding="utf-8")
        server.add(url, path)

    newest_two = overview.sessions[:2]  # the overview lists newest first
    publish(overview.sessions[2:])
    practice("ingest", TRACK, site=server.site, date=day.isoformat(), MRE_CACHE_ENABLED=0)
    assert pg_conn.execute("SELECT count(*) FROM mre.practice_sessions").fetchone()[0] == len(overview.sessions) - 2

    publish(overview.sessions)
    server.log.clear()
    run = practice("ingest", TRACK, site=server.site, date=day.isoformat(), MRE_CACHE_ENABLED=0)
    fetched = {int(r.path.rsplit("=", 1)[1]) for r in server.log if "view_session" in r.path}
    assert fetched == {s.session_id for s in newest_two}
    assert run.report.outcomes[0].new_sessions == sorted(fetched)

    gone = overview.sessions[5]
    publish([s for s in overview.sessions if s is not gone])
    run = practice("drift", TRACK, site=server.site, MRE_CACHE_ENABLED=0)
    [outcome] = run.report.outcomes
    assert outcome.removed_sessions == [gone.session_id] and outcome.new_sessions == []
    row = pg_conn.execute("SELECT removed_at IS NOT NULL, (SELECT bool_and(removed_at IS NOT NULL) FROM "
                          "mre.practice_laps WHERE session_id = %(s)s) FROM mre.practice_sessions "
                          "WHERE session_id = %(s)s", {"s": gone.session_id}).fetchone()
    assert row == (True, True)  # marked, never deleted
    assert pg_conn.execute("SELECT session_count FROM mre.practice_days").fetchone()[0] == len(overview.sessions) - 1


@pytest.mark.parametrize("cut", ["in_transit", "rows_lost"])
def test_a_day_overview_that_is_not_whole_never_marks_sessions_removed(practice_site, serve, practice, pg_conn, tmp_path, cut):
    # Issue 9: removal marking only from a complete page. Drift reads the day overview and marks
    # the sessions it no longer lists removed; a cut overview lists fewer.
    server = serve(practice_site)
    day = max(truth_days(practice_site, TRACK))
    url = practice_day_url(TRACK, day)
    practice("ingest", TRACK, site=server.site, date=day.isoformat(), MRE_CACHE_ENABLED=0)
    listed = "SELECT count(*) FROM mre.practice_sessions WHERE removed_at IS NULL"
    before = pg_conn.execute(listed).fetchone()[0]
    assert before > 3

    good = next(practice_site / f for f, u, _ in read_manifest(practice_site) if u == url).read_bytes()
    rows = good.index(b"<tbody>", good.index(b"practice_session_list"))
    third_row = good.index(b"<tr", good.index(b"<tr", good.index(b"<tr", rows) + 1) + 1)
    if cut == "in_transit":  # the connection dropped inside the list
        body = good[:third_row + 30]
    else:  # the list lost its rows after the second, the page around it is whole
        body = good[:third_row] + good[good.index(b"</tbody>", third_row):]
    (tmp_path / "cut.html").write_bytes(body)
    server.add(url, tmp_path / "cut.html")

    run = practice("drift", TRACK, site=server.site, MRE_CACHE_ENABLED=0, MRE_RETRY_BACKOFF_BASE=0)
    assert [u for u, _ in run.failures] == [url]
    assert "not whole" in run.failures[0][1]
    assert pg_conn.execute(listed).fetchone()[0] == before
    assert pg_conn.execute("SELECT count(*) FROM mre.practice_sessions WHERE removed_at IS NOT NULL").fetchone()[0] == 0


def test_discover_over_months_without_practice_reads_empty_month_views_and_exits_0(
        practice_site, serve, pg_url, tmp_path, monkeypatch, capsys):
    """A month without practice days is an empty month, not a failure: the generator answers it with
    the month view and an empty day table (real LiveRC's answer is not captured), so
    `mre practice discover` over such months is healthy (exit 0)."""
    from mre_crawler.cli import main
    from mre_crawler.parsers import practice_month

    server = serve(practice_site)
    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    monkeypatch.setenv("MRE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MRE_ROBOTSTXT_ENABLED", "0")
    truth = truth_days(practice_site, TRACK)
    with_practice = {d.strftime("%Y-%m") for d in truth}
    first, last = dt.date(2025, 9, 1), dt.date(2025, 11, 30)
    months = {f"2025-{m:02d}" for m in (9, 10, 11)}
    assert months - with_practice, "the range must hold a month without practice"
    assert main(["practice", "discover", "--track", TRACK, "--from", str(first), "--to", str(last),
                 "--site", server.site]) == 0
    out = capsys.readouterr().out
    for day in truth:
        if first <= day <= last:
            assert day.isoformat() in out
    empty = [r for r in server.log if "p=calendar" in r.path and r.path[-7:] not in with_practice]
    assert empty and all(r.status == 200 for r in server.log), [(r.path, r.status) for r in server.log]
    files = {url: f for f, url, _type in read_manifest(practice_site)}
    for month in months - with_practice:  # the month view parses, with no days
        url = practice_month_url(TRACK, month)
        item = practice_month.parse((practice_site / files[url]).read_bytes(), url, {"track_slug": TRACK}).item
        assert item.days == [] and item.month == month and month not in item.available_months
