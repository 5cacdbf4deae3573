"""``mre practice drift … --enqueue`` and ``mre practice retry … --enqueue`` (issue 11): the work
goes into Redis and ``mre worker`` processes (a real redis-server, one PostgreSQL) store exactly
the database the in-process ``mre practice drift`` / ``retry`` stores from the same starting
point. A retry is one claim per day, carried by the day's overview; the worker that holds it
fetches the day's logged session pages itself. ``mre practice discover`` has no ``--enqueue``
(exit 2, one line). Every expected value comes from the generated site or the in-process run.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import os
import subprocess
import sys
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from mre_crawler.faultserver import FaultServer
from mre_crawler.samplesite import load_truth
from mre_crawler.samplesite.render import render_practice_day
from mre_crawler.urls import practice_day_url, practice_session_url
from tests.fixtures_faults import db_snapshot
from tests.fixtures_samplesite import practice_site_as_of_today
from tests.test_practice_site import truth_days
from tests.test_workers import check_same_database, finish, start_workers
from warehouse.migrate import migrate

pytestmark = [pytest.mark.db]

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return practice_site_as_of_today(tmp_path_factory, "workers-practice-modes", tracks=1, events=1)


def the_track(site: Path) -> tuple[str, str, dict]:
    """The track, its name and its practice days of the last 80 days (a range's most is 3 months)."""
    track = load_truth(site)["tracks"][0]
    days = truth_days(site, track["slug"])
    recent = {d: v for d, v in days.items() if d >= max(days) - dt.timedelta(days=80)}
    assert len(recent) >= 2, sorted(days)
    return track["slug"], track["name"], recent


def settings(db_url: str, server: FaultServer, home: Path) -> dict:
    return {"MRE_DATABASE_URL": db_url, "MRE_HOME": str(home), "MRE_SITE": server.site, "LOG_LEVEL": "WARNING",
            "MRE_CONTACT": "tests@example.invalid"}


@contextmanager
def serving(site: Path, tmp_path: Path, name: str, days: dict, published: dict[dt.date, list]):
    """The site, with the overview of each day in ``published`` listing only those sessions."""
    with FaultServer(site) as server:
        for day, sessions in published.items():
            overview = days[day][0]
            stats = dataclasses.replace(overview.stats, total_laps=sum(s.laps for s in sessions))
            path = tmp_path / f"overview-{day}-{len(sessions)}.html"
            path.write_text(render_practice_day(dataclasses.replace(copy.deepcopy(overview), sessions=sessions,
                                                                    stats=stats), track_name=name), encoding="utf-8")
            server.add(practice_day_url(overview.track_slug, day), path)
        yield server


def run_practice_here(mode: str, slug: str, options: dict, db_url: str, server: FaultServer, home: Path):
    from mre_crawler.practice.runner import run_practice

    return run_practice(mode, slug, settings(db_url, server, home), **options)


def enqueue(mode: str, slug: str, argv: list[str], db_url: str, redis_url: str, home: Path) -> str:
    env = dict(os.environ, MRE_DATABASE_URL=db_url, MRE_REDIS_URL=redis_url, MRE_HOME=str(home))
    done = subprocess.run([sys.executable, "-m", "mre_crawler", "practice", mode, "--track", slug, *argv,
                           "--enqueue"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def with_workers(site, tmp_path, name, days, published, db_url, redis_server, n: int = 2) -> Counter:
    """Run ``n`` workers on the queued work until the shared crawl is idle; the LiveRC pages they asked for."""
    with serving(site, tmp_path, name, days, published) as server:
        for code, out in finish(start_workers(n, server, redis_server.url, db_url, tmp_path / name, 2)):
            assert code == 0, out
            assert "shared crawl idle: 0 failed pages" in out, out
        return Counter(e.url for e in server.log if e.page_type != "robots")


def fresh_database(make_database) -> str:
    db_url = make_database()
    with psycopg.connect(db_url, autocommit=True) as conn:
        migrate(conn)
    return db_url


def retry_log(db_url: str) -> dict:
    """``mre.practice_retry`` (bookkeeping, so not in the snapshot): session -> (attempts, still open)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        return {r[0]: r[1:] for r in conn.execute(
            "SELECT session_id, attempts, resolved_at IS NULL FROM mre.practice_retry")}


@pytest.mark.parametrize("refresh", [False, True], ids=["drift", "drift-refresh"])
def test_practice_drift_enqueue_gives_the_in_process_drift_database(refresh, site, make_database, redis_server,
                                                                    tmp_path):
    """Ingested while the newest day listed two sessions fewer and the oldest day all of them;
    since then the newest day lists all and the oldest lost two. The drift (or drift --refresh)
    of the range, in-process on one database and by two workers on another, leaves the same rows:
    the oldest day's two sessions marked removed (and, with --refresh, the newest day's two new
    sessions stored). The workers read each stored day's overview
    once in all, and nothing else (but the new sessions' pages with --refresh)."""
    slug, name, days = the_track(site)
    first, last = min(days), max(days)
    assert first < last
    then = {last: days[last][0].sessions[2:]}  # what LiveRC showed at ingest time
    now = {first: days[first][0].sessions[2:]}  # and at drift time
    span = {"date_from": first, "date_to": last}
    argv = ["--from", first.isoformat(), "--to", last.isoformat()] + (["--refresh"] if refresh else [])

    databases = [fresh_database(make_database) for _ in range(2)]
    for i, db_url in enumerate(databases):
        with serving(site, tmp_path, f"then{i}", days, then) as server:
            run = run_practice_here("ingest", slug, span, db_url, server, tmp_path / f"ingest{i}")
        assert run.failures == [] and len(run.report.outcomes) == len(days)

    single, shared = databases
    with serving(site, tmp_path, "single", days, now) as server:
        run = run_practice_here("drift", slug, {**span, "refresh": refresh}, single, server, tmp_path / "drift")
    assert run.failures == []
    removed = {o.date: o.removed_sessions for o in run.report.outcomes if o.removed_sessions}
    assert removed == {first: sorted(s.session_id for s in days[first][0].sessions[:2])}, removed

    out = enqueue("drift", slug, argv, shared, redis_server.url, tmp_path / "enqueue")
    assert f"enqueued {len(days)} start requests for `mre worker`, a new shared crawl" in out, out
    asked = with_workers(site, tmp_path, "workers", days, now, shared, redis_server)
    expected = {practice_day_url(slug, d): 1 for d in days}
    if refresh:  # and the newest day's two new sessions
        expected |= {practice_session_url(slug, s.session_id): 1 for s in days[last][0].sessions[:2]}
    assert dict(asked) == expected
    with psycopg.connect(single, autocommit=True) as conn:
        check_same_database(db_snapshot(conn), shared)


def test_practice_retry_enqueue_is_one_claim_per_day_and_gives_the_in_process_retry_database(
        site, make_database, redis_server, tmp_path):
    """Ingested while one session page of each of two days answered 500 (the days stored, the two
    pages in the retry log); now they answer. ``mre practice retry --enqueue`` puts one request
    per logged day into Redis (the day's overview, carrying its claim); two workers fetch exactly
    the two logged session pages, and the database, retry log included, equals the in-process
    retry's."""
    slug, _name, days = the_track(site)
    first, last = min(days), max(days)
    span = {"date_from": first, "date_to": last}
    failing = {d: days[d][0].sessions[-1].session_id for d in (first, last)}
    broken = {"action": "status", "status": 500, "page_type": "practice_session",
              "url": "|".join(f"id={sid}$" for sid in failing.values())}

    databases = [fresh_database(make_database) for _ in range(2)]
    for i, db_url in enumerate(databases):
        with FaultServer(site, rules=[broken]) as server:
            run = run_practice_here("ingest", slug, span, db_url, server, tmp_path / f"ingest{i}")
        assert len(run.report.outcomes) == len(days)
        assert sorted(sid for o in run.report.outcomes for sid in o.details_failed) == sorted(failing.values())
        assert {sid: still for sid, (_n, still) in retry_log(db_url).items()} == {sid: True for sid in failing.values()}

    single, shared = databases
    with FaultServer(site) as server:
        run = run_practice_here("retry", slug, {}, single, server, tmp_path / "retry")
    assert run.failures == []
    assert all(not still for _n, still in retry_log(single).values())

    out = enqueue("retry", slug, [], shared, redis_server.url, tmp_path / "enqueue")
    assert "enqueued 2 start requests for `mre worker`, a new shared crawl; 2 requests waiting" in out, out
    asked = with_workers(site, tmp_path, "workers", days, {}, shared, redis_server)
    expected = {practice_session_url(slug, sid): 1 for sid in failing.values()}
    expected |= {practice_day_url(slug, d): 1 for d in failing}  # the claims' carriers
    assert dict(asked) == expected
    assert retry_log(shared) == retry_log(single)
    with psycopg.connect(single, autocommit=True) as conn:
        check_same_database(db_snapshot(conn), shared)


def test_practice_discover_has_no_enqueue_one_line_exit_2(capsys):
    from mre_crawler.cli import main

    code = main(["practice", "discover", "--track", "pdk", "--from", "2025-10-01", "--to", "2025-10-31",
                 "--enqueue"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("mre practice: discover has no --enqueue"), err
