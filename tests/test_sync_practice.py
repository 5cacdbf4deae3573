"""The practice part of ``mre sync`` over a generated site while practice happens upstream.

A track followed with ``--practice``. Upstream, between syncs, a practice day appears (a new day)
and new sessions appear on a day a sync already ingested (drift). Every request reaches a local
fault server; what a sync must store comes from the generator's truth. Time moving on is
simulated by moving a day's ingest time back in PostgreSQL, never by sleeping.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from mre_crawler import following
from mre_crawler.alerts import evaluate
from mre_crawler.samplesite import expected_items, load_truth, read_manifest
from mre_crawler.samplesite.render import render_practice_day
from mre_crawler.sync.runner import run_sync
from mre_crawler.sync.summary import format_summary
from tests.fixtures_samplesite import practice_site_as_of_today
from mre_crawler.urls import practice_day_url, practice_month_url, practice_session_url
from tests.fixtures_faults import db_snapshot, diff_snapshots, explain

pytestmark = [pytest.mark.db]

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date.today()


@pytest.fixture(scope="module")
def practice_sync_site(tmp_path_factory) -> Path:
    return practice_site_as_of_today(tmp_path_factory, "sync-practice", tracks=1, events=1)


class Upstream:
    """The practice pages LiveRC shows now: days may be hidden, a day may list fewer sessions."""

    def __init__(self, site: Path, server, out: Path):
        truth = load_truth(site)
        self.slug = truth["tracks"][0]["slug"]
        self.name = truth["tracks"][0]["name"]
        self.site, self.server, self.out = site, server, out
        self.files = {url: site / file for file, url, _t in read_manifest(site)}
        self.days = {}
        for _file, url, page_type in read_manifest(site):
            if page_type == "practice_day_overview" and f"//{self.slug}.liverc.com/" in url:
                day = expected_items(site, url)[0]
                self.days[day.date] = day
        self.out.mkdir(parents=True, exist_ok=True)

    def recent(self) -> list[dt.date]:
        """The days a sync with the default 7-day window looks at, oldest first."""
        return sorted(d for d in self.days if TODAY - dt.timedelta(days=6) <= d <= TODAY)

    def publish(self, hidden: set[dt.date], partial: dict[dt.date, int]) -> None:
        """Hide ``hidden`` days from their month view; list only the oldest N sessions of the
        days in ``partial`` (the overview lists newest first, so the newest are the missing ones)."""
        for month in {d.strftime("%Y-%m") for d in self.days}:
            url = practice_month_url(self.slug, month)
            html = self.files[url].read_text(encoding="utf-8")
            for day in self.days:
                row = (r'<tr>\n<td><a href="/practice/\?p=session_list&d=' + day.isoformat()
                       + r'">[^<]*</a></td>\n<td><a href="[^"]*">(\d+)</a></td>\n</tr>\n')
                if day in hidden:
                    html = re.sub(row, "", html)
                elif day in partial:
                    html = re.sub(row, lambda m, d=day: m.group(0).replace(f">{m.group(1)}<", f">{partial[d]}<"),
                                  html)
            path = self.out / f"month-{month}-{len(hidden)}-{sorted(partial.items())}.html"
            path.write_text(html, encoding="utf-8")
            self.server.add(url, path)
        for day, overview in self.days.items():
            url = practice_day_url(self.slug, day)
            if day not in partial:
                self.server.add(url, self.files[url])
                continue
            shown = overview.sessions[-partial[day]:]
            # LiveRC's Practice Stats count the sessions it lists: a page whose totals its rows
            # contradict is not whole (issue 9), so the panel is re-counted.
            stats = dataclasses.replace(overview.stats, total_laps=sum(s.laps for s in shown))
            page = dataclasses.replace(copy.deepcopy(overview), sessions=shown, stats=stats)
            path = self.out / f"day-{day}-{partial[day]}.html"
            path.write_text(render_practice_day(page, track_name=self.name), encoding="utf-8")
            self.server.add(url, path)

    def session_urls(self, day: dt.date, sessions=None) -> set[str]:
        return {practice_session_url(self.slug, s.session_id) for s in (sessions or self.days[day].sessions)}


def _settings(pg_url: str, home: Path, site: str) -> dict[str, str]:
    return {"MRE_DATABASE_URL": pg_url, "MRE_HOME": str(home), "MRE_SITE": site, "LOG_LEVEL": "WARNING",
            "MRE_CONTACT": "tests@example.invalid"}


def _fetched(server, since: int, kind: str) -> set[str]:
    return {e.url for e in server.log[since:] if e.url and f"p={kind}" in e.url}


def _stored_sessions(conn, day: dt.date) -> int:
    return conn.execute("SELECT count(*) FROM mre.practice_sessions WHERE practice_date = %s AND removed_at IS NULL",
                        (day,)).fetchone()[0]


def _ingested_hours_ago(conn, slug: str, day: dt.date, hours: float) -> None:
    """Time moves on: the day was first ingested ``hours`` ago (its rows' own clocks follow)."""
    conn.execute("UPDATE mre.practice_days SET created_at = now() - make_interval(secs => %s), "
                 "last_ingested_at = now() - make_interval(secs => %s) WHERE track_slug = %s AND practice_date = %s",
                 (hours * 3600, hours * 3600, slug, day))


def test_practice_days_and_sessions_that_appear_between_syncs_are_ingested_and_drift_is_reported(
        practice_sync_site, fault_server, pg_url, pg_conn, tmp_path):
    server = fault_server(practice_sync_site)
    up = Upstream(practice_sync_site, server, tmp_path / "upstream")
    older, newer = up.recent()[:2]
    n_old, n_new = len(up.days[older].sessions), len(up.days[newer].sessions)
    assert following.follow(pg_conn, up.slug, practice=True, since=None)
    settings = _settings(pg_url, tmp_path / "home", server.site)

    # Sync 1: only `older` has happened, and only its first sessions are listed yet.
    up.publish(hidden={newer}, partial={older: n_old - 2})
    first = run_sync(settings, build=False)
    (t,) = first.tracks
    assert t.status == "ok", t.message
    assert _stored_sessions(pg_conn, older) == n_old - 2 and _stored_sessions(pg_conn, newer) == 0
    assert (t.new["practice_days"], t.new["practice_sessions"]) == (1, n_old - 2)
    assert t.drift == []

    # Upstream: `newer` happens (a new day) and two more sessions appear on `older` (drift).
    up.publish(hidden=set(), partial={newer: n_new - 3})
    mark = len(server.log)
    second = run_sync(settings, build=False)
    (t,) = second.tracks
    # The month view and day overviews come from LiveRC although the cache holds them (fresh);
    # of the session pages only the new ones are fetched.
    assert {practice_day_url(up.slug, older), practice_day_url(up.slug, newer)} <= _fetched(server, mark, "session_list")
    late = up.days[older].sessions[:2]
    assert _fetched(server, mark, "view_session") == (
        up.session_urls(older, late) | up.session_urls(newer, up.days[newer].sessions[-(n_new - 3):]))
    assert _stored_sessions(pg_conn, older) == n_old and _stored_sessions(pg_conn, newer) == n_new - 3
    assert (t.new["practice_days"], t.new["practice_sessions"]) == (1, 2 + n_new - 3)
    # Drift: the 2 sessions of `older` only; the new day is not drift however many sessions it has.
    assert [(d["day"], d["sessions"]) for d in t.drift] == [(older.isoformat(), 2)]
    assert 0 <= t.drift[0]["hours"] < 0.5
    summary = format_summary(second)
    assert f"drift: 2 practice sessions appeared on {older.isoformat()}, 0.0 h after that day was ingested" in summary
    assert f"new: 1 practice day, {2 + n_new - 3} practice sessions" in summary
    drift_metrics = pg_conn.execute(
        "SELECT metrics->>'drift_sessions', (metrics->>'drift_max_hours')::float FROM mre.run_metrics "
        "WHERE kind = 'practice-ingest' ORDER BY metric_id").fetchall()
    assert [int(n) for n, _h in drift_metrics] == [0, 2]
    rules = {r.rule: r for r in evaluate(pg_conn, dt.timedelta(hours=24))}
    assert not rules["practice_drift"].firing and rules["practice_drift"].value < 0.5
    assert not any("practice_drift" in a for a in second.alerts)

    # A day later (simulated): the rest of `newer`'s sessions appear 30 h after it was ingested.
    _ingested_hours_ago(pg_conn, up.slug, newer, 30)
    up.publish(hidden=set(), partial={})
    third = run_sync(settings, build=False)
    (t,) = third.tracks
    assert _stored_sessions(pg_conn, newer) == n_new
    assert (t.new["practice_days"], t.new["practice_sessions"]) == (0, 3)
    assert [(d["day"], d["sessions"]) for d in t.drift] == [(newer.isoformat(), 3)]
    assert 30 <= t.drift[0]["hours"] < 30.5
    metrics = pg_conn.execute(
        "SELECT (metrics->>'drift_sessions')::int, (metrics->>'drift_max_hours')::float FROM mre.run_metrics "
        "WHERE kind = 'practice-ingest' ORDER BY metric_id DESC LIMIT 1").fetchone()
    assert metrics[0] == 3 and 30 <= metrics[1] < 30.5
    sync_row = pg_conn.execute("SELECT (metrics->>'practice_drift_sessions')::int FROM mre.run_metrics "
                               "WHERE kind = 'sync' AND run_ref = %s", (str(third.sync_id),)).fetchone()
    assert sync_row == (3,)
    rules = {r.rule: r for r in evaluate(pg_conn, dt.timedelta(hours=24))}
    assert rules["practice_drift"].firing and 30 <= rules["practice_drift"].value < 30.5
    assert "5 sessions appeared after their day was ingested" in rules["practice_drift"].detail
    assert any(a.startswith("alert practice_drift: 30") for a in third.alerts), third.alerts
    from mre_crawler.sync.summary import exit_code

    assert exit_code(third) == 3

    # Nothing new upstream: no session page is fetched, no drift, and the rule's window moves on.
    mark = len(server.log)
    fourth = run_sync(settings, build=False)
    assert _fetched(server, mark, "view_session") == set()
    assert fourth.tracks[0].drift == [] and fourth.tracks[0].new["practice_sessions"] == 0
    pg_conn.execute("UPDATE mre.run_metrics SET started_at = started_at - interval '25 hours' "
                    "WHERE kind = 'practice-ingest' AND (metrics->>'drift_sessions')::int > 0")
    rules = {r.rule: r for r in evaluate(pg_conn, dt.timedelta(hours=24))}
    assert not rules["practice_drift"].firing


def _env(pg_url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRE_")}
    env.update(MRE_DATABASE_URL=pg_url, MRE_HOME=str(home), MRE_CONTACT="tests@example.invalid")
    return env


def _sync(env, site: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mre_crawler", "sync", "--no-build", "--json", "--site", site],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


@pytest.mark.parametrize("kill_after", ["first_overview", "second_session_page"])
def test_a_sync_killed_in_its_practice_part_is_completed_by_the_next_one(
        practice_sync_site, fault_server, pg_url, pg_conn, tmp_path, make_database, kill_after):
    from warehouse.migrate import migrate

    server = fault_server(practice_sync_site)
    up = Upstream(practice_sync_site, server, tmp_path / "upstream")
    up.publish(hidden=set(), partial={})
    slug = up.slug
    clean_url = make_database()
    with psycopg.connect(clean_url, autocommit=True) as clean:
        migrate(clean)
        following.follow(clean, slug, practice=True, since=None)
        out, err = _sync(_env(clean_url, tmp_path / "clean-home"), server.site).communicate(timeout=180)
        baseline = db_snapshot(clean)
    assert json.loads(out)["tracks"][0]["new"]["practice_sessions"] == sum(
        len(up.days[d].sessions) for d in up.recent())

    following.follow(pg_conn, slug, practice=True, since=None)
    env = _env(pg_url, tmp_path / "home")
    proc: dict[str, subprocess.Popen] = {}
    fired = threading.Event()
    seen = {"session_list": 0, "view_session": 0}
    want = {"first_overview": ("session_list", 1), "second_session_page": ("view_session", 2)}[kill_after]

    def kill(_n: int, entry) -> None:
        for kind in seen:
            if entry.url and f"p={kind}" in entry.url:
                seen[kind] += 1
        if seen[want[0]] == want[1] and not fired.is_set():
            fired.set()
            os.kill(proc["p"].pid, signal.SIGKILL)

    server.on_request(kill)
    proc["p"] = _sync(env, server.site)
    proc["p"].communicate(timeout=180)
    assert fired.is_set() and proc["p"].returncode == -signal.SIGKILL
    # Killed in the practice part: the results crawl of the track had finished.
    assert pg_conn.execute("SELECT count(*) FROM mre.practice_runs WHERE finished_at IS NULL").fetchone()[0] == 1

    rerun = _sync(env, server.site)
    out, err = rerun.communicate(timeout=180)
    assert rerun.returncode == 0, err
    assert json.loads(out)["resumed"] == [1]
    differences = diff_snapshots(baseline, db_snapshot(pg_conn))
    assert differences == [], explain(differences)


def test_each_request_of_a_practice_sync_is_counted_once_by_the_rate_limit_rule(
        practice_sync_site, fault_server, pg_url, pg_conn, tmp_path):
    # Every practice session page answers 429 once (Retry-After: 0), then 200. The crawl rows,
    # the practice run's row and the sync's row all record requests; the rule must count each
    # request that reached the site once.
    server = fault_server(practice_sync_site, [{"action": "status", "status": 429, "retry_after": "0",
                                                "page_type": "practice_session", "first": 1}])
    up = Upstream(practice_sync_site, server, tmp_path / "upstream")
    up.publish(hidden=set(), partial={})
    following.follow(pg_conn, up.slug, practice=True, since=None)
    result = run_sync({**_settings(pg_url, tmp_path / "home", server.site), "MRE_RETRY_BACKOFF_BASE": "0"},
                      build=False)
    assert result.tracks[0].status == "ok", result.tracks[0].message
    sessions = sum(len(up.days[d].sessions) for d in up.recent())
    answered_429 = [e for e in server.log if e.status == 429]
    assert len(answered_429) == sessions
    kinds = dict(pg_conn.execute("SELECT kind, sum((metrics->>'requests')::int) FROM mre.run_metrics "
                                 "GROUP BY kind").fetchall())
    assert kinds["practice-ingest"] > 0 and kinds["sync"] == len(server.log)  # the same requests, again
    r = {r.rule: r for r in evaluate(pg_conn, dt.timedelta(hours=24))}["rate_limited"]
    assert r.detail.startswith(f"{sessions} x 429, 0 x 503 of {len(server.log)} requests")
    assert r.value == pytest.approx(sessions / len(server.log))


def test_a_practice_window_longer_than_three_months_is_several_calls(
        practice_sync_site, fault_server, pg_url, pg_conn, tmp_path):
    # `mre sync --practice-days 400`: practice calls take at most 3 months each (a longer range
    # is a RangeError that used to end the sync with a traceback).
    from mre_crawler.sync.runner import practice_windows

    server = fault_server(practice_sync_site)
    up = Upstream(practice_sync_site, server, tmp_path / "upstream")
    up.publish(hidden=set(), partial={})
    following.follow(pg_conn, up.slug, practice=True, since=None)
    result = run_sync(_settings(pg_url, tmp_path / "home", server.site), build=False, practice_days=400)
    (t,) = result.tracks
    first = TODAY - dt.timedelta(days=399)
    in_window = [d for d in up.days if first <= d <= TODAY]
    assert len(in_window) == len(up.days) == 4  # the generator's days, DST days months back included
    # The generator writes no month view for a month without practice, so a window whose first
    # month had none reads 404s there (listed, never fatal); every day with practice is stored.
    months_with_practice = {d.strftime("%Y-%m") for d in up.days}
    assert all("p=calendar&d=" in u and u[-7:] not in months_with_practice and r == "HTTP 404"
               for u, r in t.failures), t.failures
    assert t.status in ("ok", "partial"), t.message
    assert (t.new["practice_days"], t.new["practice_sessions"]) == (
        len(in_window), sum(len(up.days[d].sessions) for d in in_window))
    windows = practice_windows(first, TODAY)
    assert windows[0][0] == first and windows[-1][1] == TODAY and len(windows) == 5
    assert all(b[0] == a[1] + dt.timedelta(days=1) for a, b in zip(windows, windows[1:]))
    runs = pg_conn.execute("SELECT date_from, date_to FROM mre.practice_runs ORDER BY run_id").fetchall()
    assert runs == windows
