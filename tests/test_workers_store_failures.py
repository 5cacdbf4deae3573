"""Shared-crawl workers never ack a page whose rows did not commit (issue 11; ``mre bench crawl
--workers 3`` once stored 2,460 of 2,498 races and listed no failed page, after a deadlock on
``events`` between two workers).

Real parts only: a real ``redis-server``, real PostgreSQL, real HTTP through Scrapy. The store
failure is a real one: the test holds a row lock in PostgreSQL and the workers' connections have
a ``lock_timeout``, so PostgreSQL itself refuses their writes of that row."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from mre_crawler.faultserver import FaultServer
from warehouse.migrate import migrate
from tests.test_workers import (
    SLOW_RACES, check_same_database, enqueue_tracks, finish, page_requests, run_workers_together, shared_failed,
    single_process_snapshot, start_workers, worker_stats,
)


@pytest.fixture(scope="module")
def site_and_truth(tmp_path_factory):
    from tests.test_workers import make_site

    return make_site(tmp_path_factory.mktemp("workers-store-failures"), tracks=2, events=3)


@pytest.fixture(scope="module")
def baseline(site_and_truth, make_database, tmp_path_factory):
    """The database one in-process crawl of the site gives (every test's model)."""
    site, truth = site_and_truth
    return single_process_snapshot(site, truth, make_database(), tmp_path_factory.mktemp("single-home"))


def fresh_round(site_and_truth, baseline, make_database):
    """The site, its truth, the single-process baseline, a migrated empty database, and the first
    track's slug and dashboard URL."""
    site, truth = site_and_truth
    db_url = make_database()
    with psycopg.connect(db_url, autocommit=True) as conn:
        migrate(conn)
    slug = truth["tracks"][0]["slug"]
    return site, truth, baseline, db_url, slug, f"https://{slug}.liverc.com/"


def test_a_page_whose_rows_cannot_commit_is_listed_failed_then_stored_by_the_next_round(
        site_and_truth, baseline, make_database, redis_server, tmp_path):
    """The test holds one track's row locked (FOR NO KEY UPDATE, in a transaction left open) and
    the worker's connection has ``lock_timeout`` 300 ms: PostgreSQL refuses the one page that
    updates that row, the track's dashboard. That page is the shared crawl's only failed page
    (Redis ``P:failed``, the worker's summary, exit 3), and every other page the worker fetched is
    stored. Lock released, the next round (a new enqueue and worker) stores it, and the database
    equals the one a single process stores.

    Before the fix the lock timeout escaped the store, the worker stopped (``start_error``), and a
    later commit acked the failed batch's claims: pages neither stored nor listed."""
    site, truth, baseline, db_url, slug, dashboard = fresh_round(site_and_truth, baseline, make_database)
    holder = psycopg.connect(db_url)  # its transaction stays open for the whole first round
    try:
        holder.execute("INSERT INTO mre.tracks (slug) VALUES (%s)", (slug,))
        holder.commit()
        holder.execute("SELECT 1 FROM mre.tracks WHERE slug = %s FOR NO KEY UPDATE", (slug,))
        impatient = make_conninfo(db_url, options="-c lock_timeout=300")
        with FaultServer(site) as server:
            enqueue_tracks(truth, redis_server.url)
            [(code, out)] = finish(start_workers(1, server, redis_server.url, impatient, tmp_path / "homes", 2,
                                                 settings=("MRE_STORE_BATCH_PAGES=20",)))
            fetched = set(page_requests(server))
    finally:
        holder.rollback()
        holder.close()

    failed = shared_failed(redis_server)
    assert list(failed) == [dashboard], out
    assert "lock timeout" in failed[dashboard], failed
    assert code == 3, out  # the crawl ran, but a page could not be stored: crawl health says so
    assert "shared crawl idle: 1 failed pages over all workers:" in out, out
    assert f"failed pages  1:\n    {dashboard}  store failed: canceling statement due to lock timeout" in out, out
    assert "shared pages  stored " + str(len(fetched) - 1) + " pages, failed 1 here" in out, out
    with psycopg.connect(db_url, autocommit=True) as conn:
        stored = {u for (u,) in conn.execute("SELECT url FROM mre.stored_pages")}
        quarantined = {u for (u,) in conn.execute("SELECT url FROM mre.quarantine")}
    # The model: every page fetched is stored or listed failed, never both.
    assert dashboard not in stored and dashboard in quarantined
    assert fetched - stored == {dashboard}, sorted(fetched - stored)
    assert redis_server.client().llen("mre:queue") == 0

    with FaultServer(site) as server:
        enqueue_tracks(truth, redis_server.url)  # a new shared crawl: the failure list starts empty
        [(code, out)] = finish(start_workers(1, server, redis_server.url, db_url, tmp_path / "homes", 2, first=1))
    assert code == 0, out
    assert "shared crawl idle: 0 failed pages over all workers" in out, out
    check_same_database(baseline, db_url)


def test_three_workers_storing_the_same_events_at_once_end_with_the_single_process_database(
        site_and_truth, baseline, make_database, redis_server, tmp_path):
    """Three workers, 8 requests per track in flight and batches of 3 pages: the workers commit
    pages of the same tracks, events and races at the same moment, over and over (the deadlock
    the bench found). Keys locked in one order and conflicts tried again: nothing fails, and the
    database equals the one a single process stores."""
    site, truth = site_and_truth
    db_url = make_database()
    with FaultServer(site) as server:
        server.add_rule(SLOW_RACES)
        # No request is answered before all three workers are up (a worker started late could find
        # nothing left, and no two would commit at the same moment).
        results = run_workers_together(3, server, redis_server.url, db_url, tmp_path / "homes", 8,
                                       enqueue=lambda: enqueue_tracks(truth, redis_server.url),
                                       settings=("MRE_STORE_BATCH_PAGES=3",))
        fetched = page_requests(server)
    for code, out in results:
        assert code == 0, out
        assert "shared crawl idle: 0 failed pages" in out, out
    assert shared_failed(redis_server) == {}
    check_same_database(baseline, db_url)
    assert {url: n for url, n in fetched.items() if n > 1} == {}
    stats = worker_stats(db_url)
    assert all(s.get("mre/worker/claimed", 0) > 0 for s in stats), "every worker took work"
    assert sum(s.get("mre/worker/stored", 0) for s in stats) == len(fetched)


def queued_urls(client) -> set[str]:
    """The URLs of the requests waiting in the shared queue (scrapy-redis's pickle serialiser)."""
    import pickle

    return {pickle.loads(data)["url"] for data in client.lrange("mre:queue", 0, -1)}


def finish_killing_its_blocked_connection(worker, watcher, application_name: str) -> tuple[int, str, list]:
    """Wait for ``worker`` to end while a thread kills (``pg_terminate_backend``) the first of its
    connections (named ``application_name``) found waiting for a lock inside a transaction: its
    exit code, its output and ``[(backend pid, its query, had written in its transaction)]``."""
    import threading
    import time

    killed: list[tuple[int, str, bool]] = []

    def kill_when_blocked() -> None:
        deadline = time.monotonic() + 300
        while worker.poll() is None and time.monotonic() < deadline:
            rows = watcher.execute(
                "SELECT pid, query, backend_xid IS NOT NULL FROM pg_stat_activity "
                "WHERE application_name = %s AND wait_event_type = 'Lock' AND xact_start IS NOT NULL",
                (application_name,)).fetchall()
            for pid, query, wrote in rows:
                if watcher.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]:
                    killed.append((pid, query, wrote))
                    return
            time.sleep(0.01)

    killer = threading.Thread(target=kill_when_blocked)
    killer.start()
    [(code, out)] = finish([worker])
    killer.join()
    return code, out, killed


def test_a_worker_whose_connection_is_killed_mid_batch_gives_its_claims_back(
        site_and_truth, baseline, make_database, redis_server, tmp_path):
    """The test holds the first-enqueued track's row locked; worker 0, one request at a time, does
    the other track first (the queue is LIFO) and commits its batches, then its store transaction
    for the locked track's dashboard waits inside its batch (rows of the batch already locked or written); the test then kills that connection
    with ``pg_terminate_backend``. Worker 0 stops (database lost: exit 1); nothing of that batch
    is stored, and every page it fetched is either stored (committed earlier) or back on the
    queue, never both, never neither: no claim acked that did not commit, none lost. A second
    worker then finishes the crawl, and the database equals the one a single process stores."""
    site, truth, baseline, db_url, slug, dashboard = fresh_round(site_and_truth, baseline, make_database)
    client = redis_server.client()
    holder = psycopg.connect(db_url)
    try:
        holder.execute("INSERT INTO mre.tracks (slug) VALUES (%s)", (slug,))
        holder.commit()
        holder.execute("SELECT 1 FROM mre.tracks WHERE slug = %s FOR NO KEY UPDATE", (slug,))
        named = make_conninfo(db_url, application_name="mre-test-worker0")
        with FaultServer(site) as server, psycopg.connect(db_url, autocommit=True) as watcher:
            server.add_rule(SLOW_RACES)
            enqueue_tracks(truth, redis_server.url)
            [worker0] = start_workers(1, server, redis_server.url, named, tmp_path / "homes", 2,
                                      settings=("MRE_STORE_BATCH_PAGES=5", "CONCURRENT_REQUESTS=1"))
            code, out, killed = finish_killing_its_blocked_connection(worker0, watcher, "mre-test-worker0")
            fetched0 = set(page_requests(server))
    finally:
        holder.rollback()
        holder.close()

    assert len(killed) == 1, out
    assert killed[0][2], killed  # the batch had taken row locks or written rows: mid-batch
    assert code == 1, out
    assert "database connection lost" in out, out
    with psycopg.connect(db_url, autocommit=True) as conn:
        stored = {u for (u,) in conn.execute("SELECT url FROM mre.stored_pages")}
    queued = queued_urls(client)
    assert not any(client.hlen(k) for k in client.scan_iter(match="mre:inflight:*")), "claims left in flight"
    assert dashboard in fetched0 and dashboard not in stored and dashboard in queued
    assert stored, "earlier batches committed"
    assert fetched0 & stored & queued == set(), sorted(fetched0 & stored & queued)  # acked and given back
    assert fetched0 - stored - queued == set(), sorted(fetched0 - stored - queued)  # lost
    assert shared_failed(redis_server) == {}  # a lost database is not a failed page

    with FaultServer(site) as server:
        [(code, out)] = finish(start_workers(1, server, redis_server.url, db_url, tmp_path / "homes", 2, first=1))
        fetched1 = page_requests(server)
    assert code == 0, out
    assert "shared crawl idle: 0 failed pages over all workers" in out, out
    check_same_database(baseline, db_url)
    # Fetched again: only what worker 0 fetched and could not commit.
    assert set(fetched1) & fetched0 <= queued
    assert all(n == 1 for n in fetched1.values()), fetched1
