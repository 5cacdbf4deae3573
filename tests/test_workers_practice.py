"""Practice days in a shared crawl (issue 11): ``mre sync --enqueue`` puts each followed track's
practice window into Redis; ``mre worker`` processes (a real redis-server, one PostgreSQL) store
exactly the database a single-process ``mre sync`` stores. The worker that takes a day's overview
fetches the day's session pages itself; a worker killed (kill -9) in the middle of a day leaves
the day to another worker, with the same database; a day another process holds is given back
and done once it is free. Every expected value comes from the generated site or the in-process run.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from mre_crawler import following
from mre_crawler.faultserver import FaultServer
from mre_crawler.samplesite import load_truth, read_manifest
from tests.fixtures_faults import db_snapshot
from tests.fixtures_samplesite import practice_site_as_of_today
from tests.test_workers import (
    check_same_database, finish, run_workers_together, start_workers, wait_for, worker_stats,
)
from warehouse.migrate import migrate

pytestmark = [pytest.mark.db]

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date.today()
# The window reaches back past month starts, so each track's range spans three month views.
PRACTICE_DAYS = 70
PRACTICE_PAGES = ("practice_month", "practice_day_overview", "practice_session")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return practice_site_as_of_today(tmp_path_factory, "workers-practice", tracks=2, events=1)


def slugs(site: Path) -> list[str]:
    return [t["slug"] for t in load_truth(site)["tracks"]]


def follow_all(db_url: str, site: Path) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        migrate(conn)
        for slug in slugs(site):
            following.follow(conn, slug, practice=True, since=None)


def days_in_window(site: Path) -> dict[str, str]:
    """Day overview URL -> track, for the practice days the sync window covers."""
    first = TODAY - dt.timedelta(days=PRACTICE_DAYS - 1)
    out = {}
    for _file, url, page_type in read_manifest(site):
        if page_type == "practice_day_overview":
            day = dt.date.fromisoformat(url.rsplit("d=", 1)[1])
            if first <= day <= TODAY:
                out[url] = url.split("//", 1)[1].split(".", 1)[0]
    return out


@pytest.fixture(scope="module")
def baseline(site, make_database, tmp_path_factory):
    """The database one in-process ``mre sync`` gives (no build), and the practice pages it asked for."""
    from mre_crawler.sync.runner import run_sync

    db_url = make_database()
    follow_all(db_url, site)
    with FaultServer(site) as server:
        result = run_sync({"MRE_DATABASE_URL": db_url, "MRE_HOME": str(tmp_path_factory.mktemp("single")),
                           "MRE_SITE": server.site, "LOG_LEVEL": "WARNING", "MRE_CONTACT": "tests@example.invalid"},
                          build=False, practice_days=PRACTICE_DAYS)
        asked = Counter(e.url for e in server.log if e.page_type in PRACTICE_PAGES)
    assert all(t.status != "failed" for t in result.tracks), result.tracks
    with psycopg.connect(db_url, autocommit=True) as conn:
        snapshot = db_snapshot(conn)
        stored_days = {r[0] for r in conn.execute("SELECT source_event_id FROM mre.practice_days")}
    assert len(stored_days) == len(days_in_window(site)) >= 4  # the window holds days of both tracks
    return snapshot, asked


def enqueue_sync(db_url: str, redis_url: str, home: Path) -> str:
    env = dict(os.environ, MRE_DATABASE_URL=db_url, MRE_REDIS_URL=redis_url, MRE_HOME=str(home))
    done = subprocess.run([sys.executable, "-m", "mre_crawler", "sync", "--enqueue", "--practice-days",
                           str(PRACTICE_DAYS)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def practice_requests(server: FaultServer) -> Counter:
    return Counter(e.url for e in server.log if e.page_type in PRACTICE_PAGES)


def sessions_by_day(server: FaultServer) -> dict[str, str]:
    """Session page URL -> the worker (user agent contact) that fetched it."""
    return {e.url: worker_of(e.user_agent) for e in server.log if e.page_type == "practice_session"}


def worker_of(user_agent: str) -> str:
    return next(part for part in user_agent.replace("(", " ").replace(")", " ").replace(";", " ").split()
                if "@example.invalid" in part)


def day_sessions(site: Path) -> dict[str, set[str]]:
    """Day overview URL -> the session page URLs it lists (from the generated pages)."""
    from mre_crawler.samplesite import expected_items
    from mre_crawler.urls import practice_session_url

    out = {}
    for url, slug in days_in_window(site).items():
        day = expected_items(site, url)[0]
        out[url] = {practice_session_url(slug, s.session_id) for s in day.sessions}
    return out


def test_two_workers_store_the_practice_days_one_sync_stores_each_day_in_one_worker(
        site, baseline, make_database, redis_server, tmp_path):
    snapshot, single_asked = baseline
    db_url = make_database()
    follow_all(db_url, site)
    with FaultServer(site) as server:
        # No request is answered before both workers have opened their runs (a late one would find none left).
        enqueued = []
        results = run_workers_together(2, server, redis_server.url, db_url, tmp_path / "homes", 2,
                                       enqueue=lambda: enqueued.append(enqueue_sync(db_url, redis_server.url,
                                                                                    tmp_path / "enqueue")))
        [out] = enqueued
        assert out.count("practice start request") == len(slugs(site)), out
        for code, text in results:
            assert code == 0, text
            assert "shared crawl idle: 0 failed pages" in text, text
        asked = practice_requests(server)
        fetched_by = sessions_by_day(server)
        overview_by = {e.url: worker_of(e.user_agent) for e in server.log if e.page_type == "practice_day_overview"}
        in_flight = dict(server.max_in_flight)
    check_same_database(snapshot, db_url)
    # Session pages went through the downloader middlewares: the per-track limit held over both workers.
    assert max(in_flight.values()) <= 2, in_flight
    assert all(s.get("mre/worker/claimed", 0) > 0 for s in worker_stats(db_url)), "both workers took work"
    # The practice pages the single sync asked for, each once: no session page fetched twice or left out.
    assert asked == single_asked
    # A day's session pages were fetched by the worker that read its overview (they never went through Redis).
    for day_url, sessions in day_sessions(site).items():
        assert {fetched_by[s] for s in sessions if s in fetched_by} <= {overview_by[day_url]}, day_url
    assert redis_server.client().llen("mre:queue") == 0


def test_a_worker_killed_in_the_middle_of_a_day_leaves_the_day_to_another(
        site, baseline, make_database, redis_server, tmp_path):
    snapshot, single_asked = baseline
    db_url = make_database()
    follow_all(db_url, site)
    enqueue_sync(db_url, redis_server.url, tmp_path / "enqueue")
    with FaultServer(site) as server:
        # Worker 0 alone first, so it surely holds a day when it dies; worker 1 starts after.
        [worker0] = start_workers(1, server, redis_server.url, db_url, tmp_path / "homes", per_track=2)
        seen = Counter()

        def kill_worker_0(count, entry):
            # Killed as its third session page of a day is asked for: the day's lock taken, its
            # session pages half fetched, nothing of the day committed.
            if "worker0@" in entry.user_agent and entry.page_type == "practice_session":
                seen["sessions"] += 1
                if seen["sessions"] == 3:
                    os.kill(worker0.pid, signal.SIGKILL)

        server.on_request(kill_worker_0)
        results = finish([worker0])
        results += finish(start_workers(1, server, redis_server.url, db_url, tmp_path / "homes", per_track=2,
                                        first=1))
        log = list(server.log)
    assert results[0][0] == -signal.SIGKILL, results[0][1]
    code, text = results[1]
    assert code == 0, text
    assert "shared crawl idle: 0 failed pages" in text, text
    assert "recovered from dead workers 0)" not in text, text
    check_same_database(snapshot, db_url)
    # Every practice page the single sync asked for was asked for; the ones asked twice are those of
    # the day worker 0 held when it died (its overview and the session pages it had asked for).
    asked = Counter(e.url for e in log if e.page_type in PRACTICE_PAGES)
    assert set(asked) == set(single_asked)
    by_worker0 = {e.url for e in log if "worker0@" in e.user_agent}
    twice = {url for url, n in asked.items() if n > 1}
    assert twice and twice <= by_worker0, twice - by_worker0
    assert redis_server.client().llen("mre:queue") == 0


def test_a_day_held_by_another_process_goes_back_on_the_queue_until_it_is_free(
        site, baseline, make_database, redis_server, tmp_path):
    """One day's advisory lock is held here (as an in-process ``mre practice ingest`` would hold
    it): the worker gives its overview claim back, again and again, and stores the day once the
    lock is free; the database is the single sync's."""
    from mre_crawler.practice.ingest import LOCK_NAMESPACE
    from mre_crawler.practice import source_event_id

    snapshot, _asked = baseline
    db_url = make_database()
    follow_all(db_url, site)
    enqueue_sync(db_url, redis_server.url, tmp_path / "enqueue")
    held_url, held_slug = sorted(days_in_window(site).items())[0]
    key = source_event_id(held_slug, dt.date.fromisoformat(held_url.rsplit("d=", 1)[1]))
    with psycopg.connect(db_url, autocommit=True) as lock_conn, FaultServer(site) as server:
        lock_conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (LOCK_NAMESPACE + key,))
        [worker] = start_workers(1, server, redis_server.url, db_url, tmp_path / "homes", per_track=2,
                                 settings=("MRE_PRACTICE_LOCK_WAIT=0.2",))
        # Its overview asked for twice: the claim was given back once and taken again.
        wait_for(lambda: len(server.requests_for(held_url)) >= 2 or worker.poll() is not None, seconds=300)
        assert worker.poll() is None
        with psycopg.connect(db_url, autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM mre.practice_days WHERE source_event_id = %s",
                                (key,)).fetchone()[0] == 0
        lock_conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (LOCK_NAMESPACE + key,))
        [(code, text)] = finish([worker])
    assert code == 0, text
    assert "shared crawl idle: 0 failed pages" in text, text
    check_same_database(snapshot, db_url)


@pytest.mark.parametrize("missing", ["first-month", "every-month"])
def test_a_failed_month_view_counts_only_when_no_month_view_of_the_range_was_read(
        missing, site, make_database, redis_server, tmp_path):
    """As in one process: a month view that fails is held back (a month without sessions may
    have no page); it is a failed page of the shared crawl only when no month view of its range
    was read, by any worker. Kept in Redis per practice job, so workers agree."""
    from mre_crawler.practice.ranges import DayRange
    from mre_crawler.sync.runner import practice_windows
    from mre_crawler.urls import practice_month_url
    from mre_crawler.workers.enqueue import shared_failures

    slug = slugs(site)[0]
    [(first, last)] = practice_windows(TODAY - dt.timedelta(days=PRACTICE_DAYS - 1), TODAY)
    months = DayRange(first, last).months
    assert len(months) >= 2
    pattern = months[0] if missing == "first-month" else r"\d{4}-\d{2}$"
    db_url = make_database()
    follow_all(db_url, site)
    enqueue_sync(db_url, redis_server.url, tmp_path / "enqueue")
    with FaultServer(site) as server:
        server.add_rule({"action": "status", "status": 404, "page_type": "practice_month",
                         "url": f"//{slug}\\.liverc\\.com/.*calendar&d={pattern}"})
        results = finish(start_workers(2, server, redis_server.url, db_url, tmp_path / "homes", per_track=2))
        refused = {e.url for e in server.log if e.status == 404 and e.page_type == "practice_month"}
    failed = dict(shared_failures(redis_server.client(), "mre"))
    if missing == "first-month":
        assert refused == {practice_month_url(slug, months[0])}
        assert failed == {}
        expected_line = "shared crawl idle: 0 failed pages"
    else:
        assert refused == {practice_month_url(slug, m) for m in months}
        assert failed == {url: "HTTP 404" for url in refused}
        expected_line = f"shared crawl idle: {len(refused)} failed pages over all workers:"
    for code, text in results:
        assert code == 0, text  # partial results are results
    assert any(expected_line in text for _code, text in results), results


# (site, slug, dates) -> snapshot: the module's site never changes, so one ingest per range is enough.
_INGEST_SNAPSHOTS: dict = {}


def single_ingest_snapshot(site: Path, slug: str, dates: dict, db_url: str, home: Path):
    """The database one in-process ``mre practice ingest`` of ``dates`` gives, on an empty database
    (computed once per site, track and dates; ``db_url`` is used the first time)."""
    key = (str(site), slug, tuple(sorted(dates.items())))
    if key not in _INGEST_SNAPSHOTS:
        _INGEST_SNAPSHOTS[key] = _single_ingest_snapshot(site, slug, dates, db_url, home)
    return _INGEST_SNAPSHOTS[key]


def _single_ingest_snapshot(site: Path, slug: str, dates: dict, db_url: str, home: Path):
    from mre_crawler.practice.runner import run_practice

    with psycopg.connect(db_url, autocommit=True) as conn:
        migrate(conn)
    with FaultServer(site) as server:
        run = run_practice("ingest", slug, {"MRE_DATABASE_URL": db_url, "MRE_HOME": str(home),
                                            "MRE_SITE": server.site, "LOG_LEVEL": "WARNING",
                                            "MRE_CONTACT": "tests@example.invalid"}, **dates)
    assert run.failures == [] and run.report.outcomes, run.failures
    with psycopg.connect(db_url, autocommit=True) as conn:
        return db_snapshot(conn)


def enqueue_ingest(db_url: str, redis_url: str, slug: str, options: list[str], home: Path, **env_extra: str) -> None:
    """``mre practice ingest --track SLUG OPTIONS --enqueue`` onto an idle shared crawl (database migrated)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        migrate(conn)
    env = dict(os.environ, MRE_DATABASE_URL=db_url, MRE_REDIS_URL=redis_url, MRE_HOME=str(home), **env_extra)
    done = subprocess.run([sys.executable, "-m", "mre_crawler", "practice", "ingest", "--track", slug, *options,
                           "--enqueue"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "enqueued 1 start request for `mre worker`, a new shared crawl" in done.stdout, done.stdout


@pytest.mark.parametrize("which", ["range", "date"])
def test_practice_ingest_enqueue_gives_the_in_process_ingest_database(which, site, make_database, redis_server,
                                                                      tmp_path):
    """``mre practice ingest --track SLUG --from/--to (or --date) --enqueue`` on a database that
    never read the track: the dashboard goes first (its time zone), then the range; two workers
    store what one in-process ``mre practice ingest`` stores."""
    slug = slugs(site)[0]
    day_urls = sorted(url for url, s in days_in_window(site).items() if s == slug)
    first = TODAY - dt.timedelta(days=PRACTICE_DAYS - 1)
    options = (["--from", first.isoformat(), "--to", TODAY.isoformat()] if which == "range"
               else ["--date", day_urls[-1].rsplit("d=", 1)[1]])
    dates = ({"date_from": first, "date_to": TODAY} if which == "range"
             else {"date": dt.date.fromisoformat(options[1])})

    baseline = single_ingest_snapshot(site, slug, dates, make_database(), tmp_path / "single")
    db_url = make_database()
    enqueue_ingest(db_url, redis_server.url, slug, options, tmp_path / "e")
    with FaultServer(site) as server:
        results = finish(start_workers(2, server, redis_server.url, db_url, tmp_path / "homes", per_track=2))
        asked = Counter(e.page_type for e in server.log if e.page_type != "robots")
    for code, text in results:
        assert code == 0, text
        assert "shared crawl idle: 0 failed pages" in text, text
    check_same_database(baseline, db_url)
    assert asked["track_dashboard"] == 1
    assert asked["practice_day_overview"] == (len(day_urls) if which == "range" else 1)


def test_a_worker_whose_connection_is_lost_mid_day_gives_the_day_back(site, make_database, redis_server, tmp_path):
    """The test holds ``mre.practice_days`` locked, so the worker's first day transaction waits
    inside it (sessions and laps written, not committed); the test kills that connection with
    ``pg_terminate_backend``. The worker stops (database lost: exit 1), nothing of any day is
    stored, no claim is left in flight and none is listed failed: the day is back on the queue.
    A second worker then stores exactly what one in-process ingest stores."""
    from psycopg.conninfo import make_conninfo

    from tests.test_workers_store_failures import finish_killing_its_blocked_connection, queued_urls

    slug = slugs(site)[0]
    first = TODAY - dt.timedelta(days=PRACTICE_DAYS - 1)
    dates = {"date_from": first, "date_to": TODAY}
    baseline = single_ingest_snapshot(site, slug, dates, make_database(), tmp_path / "single")
    db_url = make_database()
    enqueue_ingest(db_url, redis_server.url, slug, ["--from", first.isoformat(), "--to", TODAY.isoformat()],
                   tmp_path / "e")
    client = redis_server.client()
    holder = psycopg.connect(db_url)
    try:
        holder.execute("LOCK TABLE mre.practice_days IN EXCLUSIVE MODE")
        named = make_conninfo(db_url, application_name="mre-test-worker0")
        with FaultServer(site) as server, psycopg.connect(db_url, autocommit=True) as watcher:
            [worker0] = start_workers(1, server, redis_server.url, named, tmp_path / "homes", 2)
            code, out, killed = finish_killing_its_blocked_connection(worker0, watcher, "mre-test-worker0")
            fetched = {e.url for e in server.log if e.page_type == "practice_day_overview"}
    finally:
        holder.rollback()
        holder.close()

    assert len(killed) == 1 and "practice_days" in killed[0][1], (killed, out)
    assert killed[0][2], killed  # the day's transaction had written rows: mid-day
    assert code == 1, out
    assert "database connection lost" in out, out
    with psycopg.connect(db_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM mre.practice_sessions").fetchone()[0] == 0
    assert not any(client.hlen(k) for k in client.scan_iter(match="mre:inflight:*")), "claims left in flight"
    assert fetched and fetched <= queued_urls(client), fetched - queued_urls(client)  # every day read is back
    assert dict(client.hgetall("mre:failed")) == {}  # a lost database is not a failed page

    with FaultServer(site) as server:
        [(code, out)] = finish(start_workers(1, server, redis_server.url, db_url, tmp_path / "homes", 2, first=1))
    assert code == 0, out
    assert "shared crawl idle: 0 failed pages" in out, out
    check_same_database(baseline, db_url)


def most_in_any_window(times: list[float], seconds: float) -> int:
    """The most of ``times`` that fall in any half-open window ``[t, t + seconds)``."""
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


def test_workers_pace_and_count_practice_pages_as_an_in_process_practice_run(site, make_database, redis_server,
                                                                              tmp_path):
    """Practice pages in a shared crawl get the practice politeness of ``mre practice``: the rate
    ceiling of the enqueueing process's MRE_PRACTICE_RATE_PER_MINUTE (60 a minute here, while the
    workers' track crawl ceiling is 6,000 a minute and their own practice rate 6,000 too) and the
    ``<slug>/practice`` daily budget (MRE_PRACTICE_DAILY_BUDGET, 12), over both workers together.
    Counted in the local server's log: at most 3 practice requests in any 3 s window (3 slots of
    1 s; one more allowed for a request that arrived late after its slot), exactly 12 practice
    requests in all, and the persisted ledger says 12 of 12."""
    slug = slugs(site)[0]
    first = TODAY - dt.timedelta(days=PRACTICE_DAYS - 1)
    db_url = make_database()
    enqueue_ingest(db_url, redis_server.url, slug, ["--from", first.isoformat(), "--to", TODAY.isoformat()],
                   tmp_path / "e", MRE_PRACTICE_RATE_PER_MINUTE="60", MRE_PRACTICE_DAILY_BUDGET="12")
    # One request at a time per worker: a worker waiting for its slot holds one claim, so the other
    # takes the next day overview (with more room the first worker would claim them all at once).
    polite = ("MRE_POLITE=1", "MRE_AUTOTHROTTLE_ENABLED=0", "MRE_RATE_PER_MINUTE=6000",
              "MRE_PRACTICE_RATE_PER_MINUTE=6000", "MRE_PRACTICE_DAILY_BUDGET=1000", "CONCURRENT_REQUESTS=1")
    with FaultServer(site) as server:
        results = finish(start_workers(2, server, redis_server.url, db_url, tmp_path / "homes", per_track=2,
                                       settings=polite))
        practice = [e for e in server.log if e.page_type != "robots"]
        robots = [e for e in server.log if e.page_type == "robots"]
    for code, text in results:
        assert code in (0, 3), text  # budget refusals are failed pages (listed); health may flag them
    assert all(e.url.startswith(f"https://{slug}.liverc.com/") for e in practice)
    assert len(practice) == 12, Counter(e.page_type for e in practice)
    assert all(any(f"worker{i}@" in e.user_agent for e in practice) for i in (0, 1)), "both workers fetched"
    assert most_in_any_window([e.at for e in practice], 3.0) <= 3 + 1
    with psycopg.connect(db_url, autocommit=True) as conn:
        assert conn.execute("SELECT used, budget FROM mre.politeness_budget WHERE track_slug = %s",
                            (f"{slug}/practice",)).fetchone() == (12, 12)
        # The track's own ledger counted only its robots.txt (each worker's own), no practice page.
        assert conn.execute("SELECT coalesce(sum(used), 0) FROM mre.politeness_budget WHERE track_slug = %s",
                            (slug,)).fetchone()[0] == len(robots)


# Session pages with an even id answer 404: their days are stored with failed session pages (failed ingestions).
EVEN_SESSIONS_FAIL = {"action": "status", "status": 404, "page_type": "practice_session", "url": r"id=\d*[02468]$"}


def health(db_url: str, home: Path) -> tuple[int, dict]:
    import json

    env = dict(os.environ, MRE_DATABASE_URL=db_url, MRE_HOME=str(home))
    done = subprocess.run([sys.executable, "-m", "mre_crawler", "health", "--since", "6h", "--json"], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    return done.returncode, {r["rule"]: r for r in json.loads(done.stdout)["rules"]}


def practice_run_rows(db_url: str) -> dict:
    with psycopg.connect(db_url, autocommit=True) as conn:
        ok, failed = conn.execute(
            "SELECT sum((metrics->>'ingest_ok')::int), sum((metrics->>'ingest_failed')::int) FROM mre.run_metrics"
            " WHERE kind = 'practice-ingest'").fetchone()
        failures = {r[0] for r in conn.execute("SELECT url FROM mre.practice_run_failures")}
        runs = conn.execute("SELECT count(*), sum(days), sum(sessions_stored), sum(details_failed)"
                            " FROM mre.practice_runs WHERE command = 'ingest' AND finished_at IS NOT NULL").fetchone()
    return {"ingest_ok": ok, "ingest_failed": failed, "failed_pages": failures, "days": runs[1],
            "sessions_stored": runs[2], "details_failed": runs[3], "runs": runs[0]}


def test_mre_health_fires_on_a_workers_failed_practice_ingestions_as_on_an_in_process_run(
        site, make_database, redis_server, tmp_path):
    """Workers record their practice work as in-process runs do (``mre.practice_runs``, failed
    pages, a ``practice-ingest`` metrics row per track and worker): over a site whose even session
    pages fail, ``mre health`` exits 3 naming practice_ingest_failures with the value the
    in-process ``mre practice ingest`` of the same range gives, and the days, failed pages and
    ingestions the runs record add up to the in-process run's."""
    from mre_crawler.practice.runner import run_practice

    slug = slugs(site)[0]
    first = TODAY - dt.timedelta(days=PRACTICE_DAYS - 1)
    single_db = make_database()
    with psycopg.connect(single_db, autocommit=True) as conn:
        migrate(conn)
    with FaultServer(site) as server:
        server.add_rule(EVEN_SESSIONS_FAIL)
        run = run_practice("ingest", slug, {"MRE_DATABASE_URL": single_db, "MRE_HOME": str(tmp_path / "single"),
                                            "MRE_SITE": server.site, "LOG_LEVEL": "WARNING",
                                            "MRE_CONTACT": "tests@example.invalid"}, date_from=first, date_to=TODAY)
    assert run.failures and run.report.outcomes
    single_code, single_rules = health(single_db, tmp_path / "h1")
    assert single_code == 3 and single_rules["practice_ingest_failures"]["state"] == "firing", single_rules

    db_url = make_database()
    enqueue_ingest(db_url, redis_server.url, slug, ["--from", first.isoformat(), "--to", TODAY.isoformat()],
                   tmp_path / "e")
    with FaultServer(site) as server:
        server.add_rule(EVEN_SESSIONS_FAIL)
        results = finish(start_workers(2, server, redis_server.url, db_url, tmp_path / "homes", per_track=2))
    for worker_code, text in results:
        assert worker_code in (0, 3), text  # failed pages listed (their crawl-health checks may fail)
    code, rules = health(db_url, tmp_path / "h2")
    assert code == 3, rules
    firing = {name for name, r in rules.items() if r["state"] == "firing"}
    assert firing == {name for name, r in single_rules.items() if r["state"] == "firing"}, (rules, single_rules)
    assert rules["practice_ingest_failures"]["value"] == single_rules["practice_ingest_failures"]["value"]
    got, expected = practice_run_rows(db_url), practice_run_rows(single_db)
    assert 1 <= got.pop("runs") <= 2  # one per worker that did practice work of the track
    expected.pop("runs")
    assert got == expected
