"""``mre follow`` / ``mre sync`` over a generated site while time moves forward upstream.

The site's newest event is hidden from its events list for the first sync (it "has not happened
yet"), then appears. Every request reaches a local fault server whose log says exactly what each
sync fetched; expected pages come from the generator's truth.
"""

from __future__ import annotations

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
from mre_crawler.samplesite import load_truth, read_manifest
from mre_crawler.sync.runner import run_sync
from mre_crawler.urls import dashboard_url, event_url, events_url
from tests.fixtures_faults import db_snapshot, diff_snapshots, explain

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sync_site(tmp_path_factory) -> Path:
    from mre_crawler.samplesite import generate

    return generate(tmp_path_factory.mktemp("sync") / "site", tracks=1, events=3, seed=11, practice_days=0)


def _truth(site: Path) -> tuple[str, list[int], dict[int, set[str]]]:
    """The track, its events newest first (as listed), and each event's page URLs."""
    truth = load_truth(site)
    slug = truth["tracks"][0]["slug"]
    listed = [int(m) for m in re.findall(r"view_event&(?:amp;)?id=(\d+)", (site / slug / "events.html").read_text())]
    pages: dict[int, set[str]] = {e: {event_url(slug, e)} for e in listed}
    points_event = {int(p): e for e in listed
                    for p in re.findall(r"view_points&(?:amp;)?id=(\d+)", (site / slug / f"event-{e}.html").read_text())}
    race_event = {int(r): int(v["event_id"]) for r, v in truth["races"].items()}
    linked_event = {(t, int(i)): e for e in listed for t, p in (("heat_sheet", "view_heat_sheet"),
                                                                ("round_ranking", "view_round_ranking"),
                                                                ("multi_main", "view_multi_main_result"))
                    for i in re.findall(rf"{p}&(?:amp;)?id=(\d+)", (site / slug / f"event-{e}.html").read_text())}
    for _file, url, page_type in read_manifest(site):
        m = re.search(r"[?&]id=(\d+)", url)
        if page_type == "race_result" and m:
            pages[race_event[int(m.group(1))]].add(url)
        elif page_type == "entry_list" and m:
            pages[int(m.group(1))].add(url)
        elif page_type == "qual_points" and m:
            pages[points_event[int(m.group(1))]].add(url)
        elif page_type in ("heat_sheet", "round_ranking", "multi_main") and m:
            pages[linked_event[(page_type, int(m.group(1)))]].add(url)
        elif page_type == "overall_ranking" and m:
            pages[int(m.group(1))].add(url)
    return slug, listed, pages


def _hide_newest(site: Path, slug: str, newest: int, out: Path) -> Path:
    """The events list as it was before ``newest`` happened (its row removed)."""
    html = (site / slug / "events.html").read_text()
    rows = re.findall(r"<tr>\s*<td><a href=\"[^\"]*id=(\d+)\".*?</tr>\s*", html, flags=re.S)
    assert str(newest) in rows
    trimmed = re.sub(r"<tr>\s*<td><a href=\"[^\"]*id=" + str(newest) + r"\".*?</tr>\s*", "", html, count=1, flags=re.S)
    out.write_text(trimmed)
    return out


def _settings(pg_url: str, home: Path, site: str, **extra: str) -> dict[str, str]:
    return {"MRE_DATABASE_URL": pg_url, "MRE_HOME": str(home), "MRE_SITE": site, "LOG_LEVEL": "WARNING",
            "MRE_CONTACT": "tests@example.invalid", **extra}


def _fetched(server, since: int) -> set[str]:
    """LiveRC pages requested since the ``since``-th request (robots.txt, read by every crawl, aside)."""
    return {e.url for e in server.log[since:] if e.url and not e.url.endswith("/robots.txt")}


def test_each_sync_fetches_what_is_new_or_unfinished_and_nothing_else(sync_site, fault_server, pg_url, pg_conn,
                                                                      tmp_path):
    slug, listed, pages = _truth(sync_site)
    newest, older = listed[0], listed[1:]
    server = fault_server(sync_site)
    server.add(events_url(slug), _hide_newest(sync_site, slug, newest, tmp_path / "events-before.html"))
    assert following.follow(pg_conn, slug, practice=False, since=None)
    settings = _settings(pg_url, tmp_path / "home", server.site)

    first = run_sync(settings, build=False)
    lists = {dashboard_url(slug), events_url(slug)}
    assert _fetched(server, 0) == lists | set().union(*(pages[e] for e in older))
    assert [t.status for t in first.tracks] == ["ok"]
    assert first.tracks[0].new["events"] == len(older)

    # The newest event happens upstream: the next sync fetches the lists and exactly its pages.
    server.add(events_url(slug), sync_site / slug / "events.html")
    mark = len(server.log)
    second = run_sync(settings, build=False)
    assert _fetched(server, mark) == lists | pages[newest]
    assert second.tracks[0].new["events"] == 1
    races_of_newest = sum("view_race_result" in u for u in pages[newest])
    assert second.tracks[0].new["races"] == races_of_newest

    # Nothing new: the dashboard and the events list, from LiveRC (not the cache), and 0 rows.
    mark = len(server.log)
    third = run_sync(settings, build=False)
    assert _fetched(server, mark) == lists
    assert third.tracks[0].rows_written == 0
    assert third.tracks[0].new == {"events": 0, "races": 0, "practice_days": 0, "practice_sessions": 0,
                                   "bumpups": 0}
    status = pg_conn.execute("SELECT last_sync_status, last_sync_ok_at IS NOT NULL, last_sync_run_id "
                             "FROM mre.followed_tracks WHERE slug = %s", (slug,)).fetchone()
    assert status == ("ok", True, third.sync_id)


def test_events_not_yet_finished_and_incomplete_ones_are_fetched_again(sync_site, fault_server, pg_url, pg_conn,
                                                                       tmp_path):
    slug, listed, pages = _truth(sync_site)
    server = fault_server(sync_site)
    # One race page of the oldest event fails (503 on every try) during the first sync.
    broken_event = listed[-1]
    broken = sorted(u for u in pages[broken_event] if "view_race_result" in u)[0]
    race_id = broken.rsplit("=", 1)[1]
    server.add_rule({"action": "status", "status": 503, "url": rf"view_race_result&id={race_id}$"})
    following.follow(pg_conn, slug, practice=False, since=None)
    settings = _settings(pg_url, tmp_path / "home", server.site)
    first = run_sync(settings, build=False)
    assert first.tracks[0].status == "partial"
    assert [u for u, _ in first.tracks[0].failures] == [broken]

    server.clear_rules()
    mark = len(server.log)
    run_sync(settings, build=False)
    lists = {dashboard_url(slug), events_url(slug)}
    # Only the incomplete event is visited again; of its pages only the missing one reaches the
    # site (the event page and the stored races come from the HTTP cache).
    assert _fetched(server, mark) == lists | {broken}
    assert pg_conn.execute("SELECT count(*) FROM mre.stored_pages WHERE url = %s", (broken,)).fetchone()[0] == 1

    # An event whose last day is recent is not finished: the sync looks at it every time.
    mark = len(server.log)
    run_sync({**settings, "MRE_EVENT_FINISHED_AFTER_DAYS": "3650", "MRE_CACHE_ENABLED": "0"}, build=False)
    assert _fetched(server, mark) == lists | set().union(*pages.values())


def test_a_spent_budget_skips_the_track_and_says_when_it_resets(sync_site, fault_server, pg_url, pg_conn, tmp_path):
    slug, _listed, _pages = _truth(sync_site)
    server = fault_server(sync_site)
    following.follow(pg_conn, slug, practice=False, since=None)
    pg_conn.execute("INSERT INTO mre.politeness_budget (track_slug, day, used, budget) "
                    "VALUES (%s, (now() AT TIME ZONE 'utc')::date, 1000, 1000)", (slug,))
    result = run_sync(_settings(pg_url, tmp_path / "home", server.site, MRE_POLITE="1"), build=False)
    assert server.log == []
    (track,) = result.tracks
    assert track.status == "skipped-budget"
    assert re.search(r"resets at \d{4}-\d\d-\d\d 00:00 UTC", track.message)
    from mre_crawler.sync.summary import exit_code, format_summary

    assert "skipped: daily budget spent; resets at" in format_summary(result)
    assert exit_code(result) == 1  # nothing could be synced


def _env(pg_url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRE_")}
    env.update(MRE_DATABASE_URL=pg_url, MRE_HOME=str(home), MRE_CONTACT="tests@example.invalid")
    return env


def test_an_overlapping_sync_exits_at_once_saying_another_is_running(sync_site, fault_server, pg_url, pg_conn,
                                                                     tmp_path):
    slug, _listed, _pages = _truth(sync_site)
    server = fault_server(sync_site)
    started = threading.Event()
    release = threading.Event()

    def hold(n: int, _entry) -> None:  # the first sync's first request waits until we are done
        if n == 1:
            started.set()
            release.wait(60)

    server.on_request(hold)
    following.follow(pg_conn, slug, practice=False, since=None)
    env = _env(pg_url, tmp_path / "home")
    first = subprocess.Popen([sys.executable, "-m", "mre_crawler", "sync", "--no-build", "--site", server.site],
                             env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert started.wait(60), "the first sync never reached the site"
        second = subprocess.run([sys.executable, "-m", "mre_crawler", "sync", "--no-build", "--site", server.site],
                                env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert first.poll() is None  # the first one is still running: the second did not wait for it
        assert second.returncode == 1
        assert "another sync is running (mre sync is running (pid" in second.stderr
        assert "nothing done" in second.stderr
    finally:
        release.set()
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert "nothing new" not in out and "new: 3 events" in out


def test_a_sync_killed_midway_is_completed_by_the_next_one(sync_site, fault_server, pg_url, pg_conn, tmp_path,
                                                           make_database):
    from warehouse.migrate import migrate

    slug, _listed, _pages = _truth(sync_site)
    server = fault_server(sync_site)
    # The clean baseline: an uninterrupted sync into a database of its own.
    clean_url = make_database()
    with psycopg.connect(clean_url, autocommit=True) as clean:
        migrate(clean)
        following.follow(clean, slug, practice=False, since=None)
        run_sync(_settings(clean_url, tmp_path / "clean-home", server.site), build=False)
        baseline = db_snapshot(clean)
        requests = len(server.log)

    following.follow(pg_conn, slug, practice=False, since=None)
    env = _env(pg_url, tmp_path / "home")
    proc: dict[str, subprocess.Popen] = {}
    fired = threading.Event()
    kill_at = len(server.log) + requests // 2

    def kill(n: int, _entry) -> None:
        if n == kill_at and not fired.is_set():
            fired.set()
            os.kill(proc["p"].pid, signal.SIGKILL)

    server.on_request(kill)
    proc["p"] = subprocess.Popen([sys.executable, "-m", "mre_crawler", "sync", "--no-build", "--site", server.site],
                                 env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc["p"].communicate(timeout=180)
    assert fired.is_set() and proc["p"].returncode == -signal.SIGKILL
    assert pg_conn.execute("SELECT count(*) FROM mre.sync_runs WHERE finished_at IS NULL").fetchone()[0] == 1

    rerun = subprocess.run([sys.executable, "-m", "mre_crawler", "sync", "--no-build", "--site", server.site],
                           env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert rerun.returncode == 0, rerun.stderr
    assert "resumed after killed sync(s) #1" in rerun.stdout
    differences = diff_snapshots(baseline, db_snapshot(pg_conn))
    assert differences == [], explain(differences)
    runs = pg_conn.execute("SELECT summary->>'aborted', exit_code FROM mre.sync_runs ORDER BY sync_id").fetchall()
    assert runs == [("true", None), (None, 0)]


def test_a_changed_sync_builds_the_warehouse_and_a_killed_build_is_owed(sync_site, fault_server, pg_url, pg_conn,
                                                                        tmp_path):
    slug, _listed, _pages = _truth(sync_site)
    server = fault_server(sync_site)
    following.follow(pg_conn, slug, practice=False, since=None)
    settings = _settings(pg_url, tmp_path / "home", server.site)
    # A sync that wrote rows but never built (as if killed before its build) ...
    run_sync(settings, build=False)
    assert pg_conn.execute("SELECT changed, built_at FROM mre.sync_runs").fetchone() == (True, None)
    # ... is built by the next sync, although that one finds nothing new.
    warehouse = tmp_path / "wh.duckdb"
    second = run_sync(settings, warehouse=warehouse, parquet_dir=tmp_path / "parquet")
    assert second.tracks[0].rows_written == 0
    assert second.warehouse == "built" and warehouse.exists()
    assert list((tmp_path / "parquet").rglob("*.parquet"))
    third = run_sync(settings, warehouse=warehouse)
    assert third.warehouse == "not needed"
    metrics = pg_conn.execute("SELECT count(*) FROM mre.run_metrics WHERE kind = 'sync'").fetchone()[0]
    assert metrics == 3
