"""Shared crawls (issue 11): ``mre worker`` processes on one real Redis and one PostgreSQL give the
database a single-process crawl gives, fetch no page twice, survive a worker killed with ``kill -9``
and keep the per-track concurrency limit over all of them (the replay server counts requests in
flight per track)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from mre_crawler.faultserver import FaultServer
from mre_crawler.samplesite import generate, load_truth
from tests.fixtures_faults import db_snapshot, diff_snapshots, explain
from warehouse.migrate import migrate

ROOT = Path(__file__).resolve().parents[1]
# Race pages answer a little slowly, so requests of one track overlap and the limit is tested.
SLOW_RACES = {"action": "slow", "seconds": 0.02, "page_type": "race_result"}


def make_site(root: Path, tracks: int, events: int) -> tuple[Path, dict]:
    site = root / "site"
    generate(site, tracks=tracks, events=events, seed=11, practice_days=0)
    return site, load_truth(site)


def single_process_snapshot(site: Path, truth: dict, db_url: str, home: Path):
    """The database one in-process crawl of every track gives (the model to compare with)."""
    from mre_crawler.crawl import run_crawl
    from mre_crawler.serve import SiteServer

    with psycopg.connect(db_url, autocommit=True) as conn:
        migrate(conn)
    with SiteServer(site) as server:
        for track in truth["tracks"]:
            result = run_crawl("track", {"track": track["slug"]}, {
                "MRE_DATABASE_URL": db_url, "MRE_HOME": str(home), "LOG_LEVEL": "WARNING",
                "MRE_CONTACT": "tests@example.invalid", "MRE_SITE": server.site})
            assert result.failures == [], result.failures
    with psycopg.connect(db_url, autocommit=True) as conn:
        return db_snapshot(conn)


def enqueue_tracks(truth: dict, redis_url: str) -> None:
    from mre_crawler.workers.enqueue import enqueue_start

    for track in truth["tracks"]:
        enqueue_start("track", {"track": track["slug"]}, {"MRE_REDIS_URL": redis_url})


def start_workers(n: int, server: FaultServer, redis_url: str, db_url: str, home: Path, per_track: int,
                  idle_exit: float = 1, settings: tuple[str, ...] = (), first: int = 0) -> list[subprocess.Popen]:
    """``n`` ``mre worker --idle-exit 1`` processes; worker i identifies as ``worker{i}@…`` in its
    user agent (numbered from ``first``); ``settings``: more ``-s NAME=VALUE``."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        migrate(conn)
    procs = []
    for i in range(first, first + n):
        env = dict(os.environ, MRE_DATABASE_URL=db_url, MRE_REDIS_URL=redis_url, MRE_SITE=server.site,
                   MRE_HOME=str(home / f"worker{i}"), MRE_CONTACT=f"worker{i}@example.invalid",
                   MRE_CONCURRENCY_PER_TRACK=str(per_track))
        extra = [arg for setting in settings for arg in ("-s", setting)]
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "mre_crawler", "worker", "--idle-exit", str(idle_exit),
             "-s", "WORKER_ALIVE_SECONDS=5", *extra],  # 15 s in use; short so a killed worker is found soon
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    return procs


def finish(procs: list[subprocess.Popen]) -> list[tuple[int, str]]:
    out = []
    for p in procs:
        text, _ = p.communicate(timeout=600)
        out.append((p.returncode, text))
    return out


def page_requests(server: FaultServer) -> Counter:
    """Requests per LiveRC page (robots.txt is each process's own, once per track)."""
    return Counter(e.url for e in server.log if e.page_type != "robots")


def worker_stats(db_url: str) -> list[dict]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return [r[0] for r in conn.execute("SELECT stats FROM mre.crawl_runs WHERE spider = 'worker' ORDER BY run_id")]


def wait_for_workers(db_url: str, n: int, timeout: float = 120) -> None:
    """Until ``n`` workers have opened their run (their store is open; they poll Redis next)."""
    wait_for(lambda: len(worker_stats(db_url)) >= n, timeout)


def check_same_database(baseline, db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        got = db_snapshot(conn)
    differences = diff_snapshots(baseline, got)
    assert differences == [], explain(differences)


def crawl_with_workers(tmp_path: Path, site: Path, truth: dict, db_url: str, redis_server, n: int, per_track: int):
    """The work is queued once all ``n`` workers have opened their runs: a small site is crawled in
    about a second, less than a worker takes to start on a loaded machine, so a worker started late
    could find nothing left (idle exit 10 s, so an early one does not leave before the work comes)."""
    with FaultServer(site) as server:
        server.add_rule(SLOW_RACES)
        procs = start_workers(n, server, redis_server.url, db_url, tmp_path / "homes", per_track, idle_exit=10)
        wait_for_workers(db_url, n)
        enqueue_tracks(truth, redis_server.url)
        return server, finish(procs)


def run_workers_together(n: int, server: FaultServer, redis_url: str, db_url: str, home: Path, per_track: int,
                         enqueue, settings: tuple[str, ...] = ()) -> list[tuple[int, str]]:
    """``n`` workers (idle exit 1 s) that all take part in one shared crawl: ``enqueue()`` queues
    the work before they start, and the server holds every request until all ``n`` have opened
    their runs. A small site is crawled in about a second, less than a worker takes to start on a
    loaded machine: without the hold a worker started late could find nothing left. The first
    worker's held requests are claims in flight, so no worker counts the crawl idle meanwhile."""
    all_up = threading.Event()
    server.on_request(lambda _count, _entry: all_up.wait(120))
    enqueue()
    procs = start_workers(n, server, redis_url, db_url, home, per_track, settings=settings)
    try:
        wait_for_workers(db_url, n)
    finally:
        all_up.set()
    return finish(procs)


def crawl_killing_one(tmp_path: Path, site: Path, truth: dict, db_url: str, redis_server, n: int, per_track: int,
                      kill_at: int):
    """``n`` workers; worker 0 is killed (SIGKILL) as its ``kill_at``-th page request reaches the
    server, so it dies with that request (at least) claimed and unfinished."""
    with FaultServer(site) as server:
        server.add_rule(SLOW_RACES)
        enqueue_tracks(truth, redis_server.url)
        procs = start_workers(n, server, redis_server.url, db_url, tmp_path / "homes", per_track)
        seen = Counter()

        def kill_worker_0(count, entry):
            if "worker0@" in entry.user_agent and entry.page_type != "robots":
                seen["worker0"] += 1
                if seen["worker0"] == kill_at:
                    os.kill(procs[0].pid, signal.SIGKILL)

        server.on_request(kill_worker_0)
        results = finish(procs)
        return server, results


def assert_healthy_survivors(results, start: int = 0) -> None:
    for code, text in results[start:]:
        assert code == 0, text
        assert "shared crawl idle: 0 failed pages" in text, text


# -- the default run: a small site, quickly ------------------------------------------------------
@pytest.fixture(scope="module")
def small_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("workers-small")
    return make_site(root, tracks=2, events=3)


@pytest.fixture(scope="module")
def small_baseline(small_site, make_database, tmp_path_factory):
    site, truth = small_site
    return single_process_snapshot(site, truth, make_database(), tmp_path_factory.mktemp("single-home"))


def test_two_workers_store_what_one_process_stores_fetching_each_page_once(
        small_site, small_baseline, make_database, redis_server, tmp_path):
    site, truth = small_site
    db_url = make_database()
    with FaultServer(site) as server:
        server.add_rule(SLOW_RACES)
        results = run_workers_together(2, server, redis_server.url, db_url, tmp_path / "homes", 1,
                                       enqueue=lambda: enqueue_tracks(truth, redis_server.url))
    assert_healthy_survivors(results)
    check_same_database(small_baseline, db_url)
    twice = {url: n for url, n in page_requests(server).items() if n > 1}
    assert twice == {}
    assert sum(page_requests(server).values()) == sum(truth["pages"].values()) - truth["pages"]["track_catalogue"]
    # One track never had two requests in flight, although two processes were fetching it.
    assert max(server.max_in_flight.values()) == 1, server.max_in_flight
    stats = worker_stats(db_url)
    assert len(stats) == 2 and all(s.get("mre/worker/claimed", 0) > 0 for s in stats), "both workers took work"
    assert sum(s.get("mre/lease/waits", 0) for s in stats) > 0, "the lease held a worker back at least once"
    assert redis_server.client().llen("mre:queue") == 0


def test_a_worker_killed_mid_crawl_leaves_its_requests_to_the_others(
        small_site, small_baseline, make_database, redis_server, tmp_path):
    site, truth = small_site
    db_url = make_database()
    server, results = crawl_killing_one(tmp_path, site, truth, db_url, redis_server, n=2, per_track=2, kill_at=8)
    assert results[0][0] == -signal.SIGKILL
    assert_healthy_survivors(results, start=1)
    assert "recovered from dead workers 0)" not in results[1][1], results[1][1]
    check_same_database(small_baseline, db_url)
    # Only what the killed worker had in flight was fetched again.
    by_worker0 = {e.url for e in server.log if "worker0@" in e.user_agent}
    twice = {url for url, n in page_requests(server).items() if n > 1}
    assert twice <= by_worker0, twice - by_worker0
    assert redis_server.client().llen("mre:queue") == 0


# -- the full size: 1,000+ race pages, 3 workers (a minute or two) ----------------------------------
@pytest.mark.faults
def test_three_workers_crawl_a_thousand_race_pages_like_one_process(make_database, redis_server, tmp_path_factory):
    root = tmp_path_factory.mktemp("workers-big")
    site, truth = make_site(root, tracks=3, events=30)
    assert truth["pages"]["race_result"] >= 1000
    baseline = single_process_snapshot(site, truth, make_database(), root / "single-home")

    db_url = make_database()
    server, results = crawl_with_workers(root / "three", site, truth, db_url, redis_server, n=3, per_track=2)
    assert_healthy_survivors(results)
    check_same_database(baseline, db_url)
    assert {url: n for url, n in page_requests(server).items() if n > 1} == {}
    assert max(server.max_in_flight.values()) <= 2, server.max_in_flight
    assert all(s.get("mre/worker/claimed", 0) > 0 for s in worker_stats(db_url))

    redis_server.client().flushall()
    db_url = make_database()
    server, results = crawl_killing_one(root / "killed", site, truth, db_url, redis_server, n=3, per_track=2,
                                        kill_at=200)
    assert results[0][0] == -signal.SIGKILL
    assert_healthy_survivors(results, start=1)
    check_same_database(baseline, db_url)
    by_worker0 = {e.url for e in server.log if "worker0@" in e.user_agent}
    twice = {url for url, n in page_requests(server).items() if n > 1}
    assert twice <= by_worker0
    assert max(server.max_in_flight.values()) <= 2, server.max_in_flight


def test_sync_enqueue_hands_each_followed_tracks_plan_to_the_workers(small_site, small_baseline, make_database,
                                                                      redis_server, tmp_path):
    """``mre sync --enqueue``: the workers crawl what an in-process sync would, and a second enqueue
    after they stored it all sends them only the dashboards and events lists (settled events skipped)."""
    site, truth = small_site
    db_url = make_database()
    with psycopg.connect(db_url, autocommit=True) as conn:
        migrate(conn)
    env = dict(os.environ, MRE_DATABASE_URL=db_url, MRE_REDIS_URL=redis_server.url, MRE_HOME=str(tmp_path / "e"))
    for track in truth["tracks"]:
        assert subprocess.run([sys.executable, "-m", "mre_crawler", "follow", track["slug"]], cwd=ROOT, env=env,
                              capture_output=True).returncode == 0
    with FaultServer(site) as server:
        done = subprocess.run([sys.executable, "-m", "mre_crawler", "sync", "--enqueue", "--json"], cwd=ROOT,
                              env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        # --json: a track a line, with the in-process sync's status, plan and failed_pages keys.
        records = {r["slug"]: r for r in json.loads(done.stdout)}
        assert set(records) == {t["slug"] for t in truth["tracks"]}
        for r in records.values():
            assert r["status"] == "enqueued" and r["added"] > 0 and r["failed_pages"] == [], r
            assert r["plan"]["slug"] == r["slug"] and r["plan"]["settled_events"] == r["settled"] == 0, r
        assert_healthy_survivors(finish(start_workers(2, server, redis_server.url, db_url, tmp_path / "h1", 2)))
        check_same_database(small_baseline, db_url)
        first = len(server.log)
        again = subprocess.run([sys.executable, "-m", "mre_crawler", "sync", "--enqueue"], cwd=ROOT, env=env,
                               capture_output=True, text=True)
        assert again.returncode == 0, again.stderr
        assert f"({truth['tracks'][0]['events']} settled events skipped)" in again.stdout
        assert again.stdout.count("2 start requests enqueued") == len(truth["tracks"]), again.stdout
        assert_healthy_survivors(finish(start_workers(1, server, redis_server.url, db_url, tmp_path / "h2", 2)))
        later = Counter(e.page_type for e in server.log[first:] if e.page_type != "robots")
        assert later == Counter({"track_dashboard": len(truth["tracks"]), "track_events": len(truth["tracks"])})


# -- the shared failure list (P:failed) ------------------------------------------------------------
def shared_failed(redis_server) -> dict[str, str]:
    from mre_crawler.workers.enqueue import shared_failures

    return dict(shared_failures(redis_server.client(), "mre"))


def wait_for(condition, seconds: float = 120.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.parametrize("enqueue", ["crawl", "sync"])
def test_a_killed_workers_failed_pages_stay_in_the_shared_failure_list(enqueue, small_site, make_database,
                                                                       redis_server, tmp_path):
    """A worker writes each failed page into Redis as it fails: killed with kill -9 after its
    share is done, its failures are still listed by the next worker and by the next enqueue
    (``mre crawl track --enqueue`` or ``mre sync --enqueue``, exit 0: partial results are results)."""
    site, truth = small_site
    db_url = make_database()
    client = redis_server.client()
    with FaultServer(site) as server:
        rule = server.add_rule({"action": "status", "status": 404, "page_type": "race_result", "share": 0.2})
        failing = server.chosen(rule)
        assert len(failing) >= 2
        enqueue_tracks(truth, redis_server.url)
        [worker0] = start_workers(1, server, redis_server.url, db_url, tmp_path / "homes", 2, idle_exit=120)
        # Its whole share done and acked (nothing queued, nothing claimed), the worker still running.
        wait_for(lambda: len(server.log) > 0 and client.llen("mre:queue") == 0
                 and not any(client.hlen(k) for k in client.scan_iter(match="mre:inflight:*")))
        assert worker0.poll() is None
        worker0.send_signal(signal.SIGKILL)
        worker0.communicate(timeout=60)
        assert sorted(shared_failed(redis_server)) == failing
        assert all(reason == "HTTP 404" for reason in shared_failed(redis_server).values())

        [(code, out)] = finish(start_workers(1, server, redis_server.url, db_url, tmp_path / "homes", 2, first=1))
        assert code == 0, out
        assert f"shared crawl idle: {len(failing)} failed pages over all workers:" in out, out
        assert all(url in out for url in failing)

    env = dict(os.environ, MRE_DATABASE_URL=db_url, MRE_REDIS_URL=redis_server.url, MRE_HOME=str(tmp_path / "e"))
    slug = truth["tracks"][0]["slug"]
    if enqueue == "crawl":
        command = ["crawl", "track", slug, "--enqueue"]
    else:
        assert subprocess.run([sys.executable, "-m", "mre_crawler", "follow", slug], cwd=ROOT, env=env,
                              capture_output=True).returncode == 0
        command = ["sync", "--enqueue"]
    done = subprocess.run([sys.executable, "-m", "mre_crawler", *command], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "start requests" in done.stdout, done.stdout
    assert f"the last shared crawl left {len(failing)} failed pages:" in done.stdout, done.stdout
    assert all(url in done.stdout for url in failing)
    assert shared_failed(redis_server) == {}  # the new shared crawl starts with none


def test_a_failure_is_cleared_when_another_worker_stores_the_page(small_site, small_baseline, make_database,
                                                                  redis_server, tmp_path):
    """Worker 0 fails some race pages (a 404 the first time each is asked for), which go into the
    list at once; killed (kill -9) before it commits them, its claims go back, worker 1 fetches
    them again, stores them, and takes them off the list."""
    site, truth = small_site
    db_url = make_database()
    client = redis_server.client()
    with FaultServer(site) as server:
        # The first rule that applies decides: the 404 before the slow answer.
        server.add_rule({"action": "status", "status": 404, "page_type": "race_result", "share": 0.3, "first": 1})
        server.add_rule(SLOW_RACES)
        enqueue_tracks(truth, redis_server.url)
        # Worker 0 commits nothing before the end of its share (one batch; every claim taken at once).
        procs = start_workers(1, server, redis_server.url, db_url, tmp_path / "homes", 2, idle_exit=120,
                              settings=("MRE_STORE_BATCH_PAGES=100000", "CONCURRENT_REQUESTS=1000"))
        # Killed as soon as a failure is listed (its share still going on: nothing committed).
        wait_for(lambda: shared_failed(redis_server) or procs[0].poll() is not None, seconds=300)
        procs[0].send_signal(signal.SIGKILL)
        listed = shared_failed(redis_server)
        procs[0].communicate(timeout=60)
        assert procs[0].returncode == -signal.SIGKILL
        assert listed and all(reason == "HTTP 404" for reason in listed.values())
        # Not committed: the failed pages are among the claims the dead worker still holds.
        held = b"".join(v for k in client.scan_iter(match="mre:inflight:*") for v in client.hvals(k))
        assert all(url.encode() in held for url in listed), listed

        server.clear_rules()  # every page answers as it is for worker 1
        server.add_rule(SLOW_RACES)
        [(code, out)] = finish(start_workers(1, server, redis_server.url, db_url, tmp_path / "homes", 2, first=1))
        assert code == 0, out
        assert "shared crawl idle: 0 failed pages over all workers" in out, out
        assert shared_failed(redis_server) == {}
        for url in listed:
            assert [e.status for e in server.requests_for(url)] == [404, 200]
    check_same_database(small_baseline, db_url)


# -- mre crawl catalogue --enqueue -----------------------------------------------------------------
def catalogue_snapshot(site: Path, args: dict, db_url: str, home: Path):
    """The database one in-process catalogue crawl with ``args`` gives."""
    from mre_crawler.crawl import run_crawl
    from mre_crawler.serve import SiteServer

    with psycopg.connect(db_url, autocommit=True) as conn:
        migrate(conn)
    with SiteServer(site) as server:
        result = run_crawl("catalogue", args, {
            "MRE_DATABASE_URL": db_url, "MRE_HOME": str(home), "LOG_LEVEL": "WARNING",
            "MRE_CONTACT": "tests@example.invalid", "MRE_SITE": server.site})
        assert result.failures == [], result.failures
    with psycopg.connect(db_url, autocommit=True) as conn:
        return db_snapshot(conn)


@pytest.mark.parametrize("options", [["--follow"], ["--follow", "--tracks", "SECOND"], ["--follow", "--limit", "1"], []],
                         ids=["follow-all", "follow-one-track", "follow-limit-1", "listing-only"])
def test_catalogue_enqueue_hands_the_catalogue_to_a_worker_with_its_selection(options, small_site, make_database,
                                                                             redis_server, tmp_path):
    """``mre crawl catalogue --enqueue``: the catalogue page alone goes into Redis, carrying what to
    follow (``--follow``, ``--tracks``, ``--limit``), which the worker (having no catalogue
    arguments) obeys: the same dashboards are fetched, once each, and the database equals the
    in-process crawl's."""
    from mre_crawler.urls import CATALOGUE_URL, dashboard_url

    site, truth = small_site
    slugs = [t["slug"] for t in truth["tracks"]]
    options = [slugs[1] if o == "SECOND" else o for o in options]
    args = {"follow": "1" if "--follow" in options else "0",
            "tracks": options[options.index("--tracks") + 1] if "--tracks" in options else ""}
    if "--limit" in options:
        args["limit"] = options[options.index("--limit") + 1]
    baseline = catalogue_snapshot(site, args, make_database(), tmp_path / "single")

    db_url = make_database()
    env = dict(os.environ, MRE_REDIS_URL=redis_server.url, MRE_HOME=str(tmp_path / "e"))
    done = subprocess.run([sys.executable, "-m", "mre_crawler", "crawl", "catalogue", *options, "--enqueue"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "enqueued 1 start request for `mre worker`, a new shared crawl; 1 request waiting" in done.stdout
    client = redis_server.client()
    [queued] = client.lrange("mre:queue", 0, -1)
    assert CATALOGUE_URL.encode() in queued  # the catalogue page, nothing fetched here
    with FaultServer(site) as server:
        [(code, out)] = finish(start_workers(1, server, redis_server.url, db_url, tmp_path / "homes", 2))
        fetched = page_requests(server)
    assert code == 0, out
    assert "shared crawl idle: 0 failed pages" in out, out
    check_same_database(baseline, db_url)
    dashboards = sorted(url for url in fetched if url != CATALOGUE_URL)
    assert fetched[CATALOGUE_URL] == 1 and all(n == 1 for n in fetched.values()), fetched
    if "--tracks" in options:
        assert dashboards == [dashboard_url(slugs[1])]
    elif "--limit" in options:
        assert len(dashboards) == 1 and dashboards[0] in {dashboard_url(s) for s in slugs}
    elif "--follow" in options:
        assert dashboards == sorted(dashboard_url(s) for s in slugs)
    else:
        assert dashboards == []
    assert client.llen("mre:queue") == 0
