"""Crash consistency: kill -9 of a crawl, and of PostgreSQL, at seeded moments; re-run; compare.

Each scenario crawls a generated site served on 127.0.0.1 with ``mre crawl track`` in a real
subprocess. The server kills the target (the crawl, or every PostgreSQL process) when it receives
the N-th page request, N drawn from the seed, so a failure names its seed and replays exactly.
The same command is then run again to the end, and the whole database must equal a clean
baseline crawl of the same site (no row lost, none wrong), with the killed run closed as aborted.

The fast subset (a few seeds) runs in ``./test``; ``-m faults`` runs the full set (20+ kill points).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from tests.fixtures_faults import db_snapshot, diff_snapshots, explain

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[1]
FAST_SEEDS = (1, 2, 3)
FULL_SEEDS = tuple(range(100, 124))  # 24 kill points


def mre(args: list[str], env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mre_crawler", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def crawl_env(db_url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRE_")}
    env.update(MRE_DATABASE_URL=db_url, MRE_HOME=str(home), MRE_CONTACT="tests@example.invalid")
    return env


def fresh_database(make_database) -> str:
    from warehouse.migrate import migrate

    url = make_database()
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
    return url


def kill_on_request(server, kill_at: int, kill) -> threading.Event:
    """Run ``kill()`` as the ``kill_at``-th request reaches the server (before it is answered)."""
    fired = threading.Event()

    def hook(n: int, _entry) -> None:
        if n == kill_at and not fired.is_set():
            fired.set()
            kill()

    server.on_request(hook)
    return fired


@pytest.fixture(scope="module")
def crash_site(tmp_path_factory) -> Path:
    from mre_crawler.samplesite import generate

    return generate(tmp_path_factory.mktemp("crash") / "site", tracks=1, events=3, seed=909, practice_days=0)


@pytest.fixture
def clean(crash_site: Path, baseline):
    """The clean, uninterrupted crawl of the site (its database snapshot and its stats)."""
    from mre_crawler.samplesite import load_truth

    slug = load_truth(crash_site)["tracks"][0]["slug"]
    return slug, baseline(crash_site, "track", {"track": slug})


def not_known_yet(difference, column: str) -> bool:
    """A value the crawl has not learnt yet (None), as opposed to a different one. A race stored
    before its track's dashboard says "no_zone" until the zone arrives; that is not a wrong time."""
    got = difference.got[column]
    return got is None or (column == "time_flag" and got == "no_zone" and difference.got.get("time_zone") is None)


def nothing_contradicts(seed: int, clean_snapshot, url: str) -> None:
    """Right after a kill rows may be missing, but no stored value may contradict the clean crawl."""
    with psycopg.connect(url, autocommit=True) as conn:
        after_kill = diff_snapshots(clean_snapshot, db_snapshot(conn))
    contradicted = [d for d in after_kill if d.kind == "extra"
                    or (d.kind == "wrong" and any(not_known_yet(d, c) is False for c in d.columns))]
    assert contradicted == [], f"seed {seed}:\n" + explain(contradicted)


def check_complete_after_rerun(seed: int, killed: bool, rerun, url: str, clean_snapshot) -> None:
    assert rerun.returncode == 0, f"seed {seed}: the re-run exited {rerun.returncode}: {rerun.stderr[-2000:]}"
    with psycopg.connect(url, autocommit=True) as conn:
        differences = diff_snapshots(clean_snapshot, db_snapshot(conn))
        runs = [r[0] for r in conn.execute("SELECT finish_reason FROM mre.crawl_runs ORDER BY run_id")]
    assert differences == [], f"seed {seed}:\n" + explain(differences)
    if killed:
        # The killed run's row is closed by the next run, not left open forever.
        assert runs == ["aborted", "finished"], f"seed {seed}: {runs}"


def crawl_killed_then_rerun(seed: int, crash_site: Path, clean, fault_server, make_database, tmp_path: Path) -> None:
    slug, base = clean
    rng = random.Random(seed)
    kill_at = rng.randint(3, base.result.requests - 1)
    batch = rng.choice(["1", "2", "3", "7", "50"])
    url = fresh_database(make_database)
    env = crawl_env(url, tmp_path / "home")
    argv = ["crawl", "track", slug, "-s", f"MRE_STORE_BATCH_PAGES={batch}"]
    server = fault_server(crash_site)
    proc: dict[str, subprocess.Popen] = {}
    fired = kill_on_request(server, kill_at, lambda: os.kill(proc["p"].pid, signal.SIGKILL))
    proc["p"] = subprocess.Popen([sys.executable, "-m", "mre_crawler", *argv, "--site", server.site], env=env,
                                 cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc["p"].communicate(timeout=180)
    assert fired.is_set() and proc["p"].returncode == -signal.SIGKILL, f"seed {seed}: not killed at request {kill_at}"
    nothing_contradicts(seed, base.snapshot, url)
    rerun = mre([*argv, "--site", server.site], env)
    check_complete_after_rerun(seed, True, rerun, url, base.snapshot)


@pytest.mark.parametrize("seed", FAST_SEEDS)
def test_a_crawl_killed_at_a_seeded_moment_is_completed_by_the_rerun(
        seed, crash_site, clean, fault_server, make_database, tmp_path):
    crawl_killed_then_rerun(seed, crash_site, clean, fault_server, make_database, tmp_path)


@pytest.mark.faults
@pytest.mark.parametrize("seed", FULL_SEEDS)
def test_many_seeded_kills_lose_nothing(seed, crash_site, clean, fault_server, make_database, tmp_path):
    crawl_killed_then_rerun(seed, crash_site, clean, fault_server, make_database, tmp_path)


# -- PostgreSQL killed mid-crawl -------------------------------------------------------------------
def kill_postgres(pgdata: Path) -> None:
    """SIGKILL the postmaster and every backend (what an OOM kill or a power cut does)."""
    pid = int((pgdata / "postmaster.pid").read_text().split()[0])
    victims = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                victims.append(int(entry.name))
    for victim in victims:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass


def wait_until_gone(pgdata: Path, timeout: float = 30) -> None:
    """Until the killed postmaster's pid is gone, so the next start does not take it as running."""
    pid = int((pgdata / "postmaster.pid").read_text().split()[0])
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture
def own_postgres(tmp_path_factory):
    """A PostgreSQL of this test's own (the session's shared server must not be killed)."""
    if os.environ.get("MRE_TEST_DATABASE_URL"):
        pytest.skip("killing PostgreSQL needs the embedded server (MRE_TEST_DATABASE_URL is set)")
    import shutil
    import tempfile

    from mre_crawler.db import start_embedded, stop_embedded

    root = Path(tempfile.mkdtemp(prefix="mre-test-pgkill-"))
    pgdata = root / "data"
    try:
        yield pgdata, start_embedded(pgdata)
    finally:
        try:
            stop_embedded(pgdata)
        except Exception:  # noqa: BLE001 - a server killed by the test may already be gone
            pass
        shutil.rmtree(root, ignore_errors=True)


def test_postgres_killed_mid_crawl_ends_it_in_one_line_with_exit_1_and_the_rerun_completes(
        crash_site, clean, fault_server, own_postgres, tmp_path):
    from mre_crawler.db import start_embedded
    from warehouse.migrate import migrate

    slug, base = clean
    pgdata, url = own_postgres
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
    env = crawl_env(url, tmp_path / "home")
    argv = ["crawl", "track", slug, "-s", "MRE_STORE_BATCH_PAGES=2"]
    server = fault_server(crash_site)
    fired = kill_on_request(server, base.result.requests // 3, lambda: kill_postgres(pgdata))
    started = time.monotonic()
    lost = mre([*argv, "--site", server.site], env, timeout=120)
    elapsed = time.monotonic() - started
    assert fired.is_set()
    assert lost.returncode == 1, lost.stderr
    assert "Traceback" not in lost.stderr + lost.stdout, lost.stderr[-3000:]
    last = lost.stderr.strip().splitlines()[-1]
    assert last.startswith("mre crawl: database connection lost after ") and last.endswith("re-run to resume")
    # Promptly: it stops instead of fetching the rest of the site into nowhere.
    assert elapsed < 60 and len(server.log) < base.result.requests
    wait_until_gone(pgdata)
    url = start_embedded(pgdata)
    env["MRE_DATABASE_URL"] = url
    nothing_contradicts(0, base.snapshot, url)
    rerun = mre([*argv, "--site", server.site], env)
    # The run that lost its database is closed as aborted by the re-run.
    check_complete_after_rerun(0, True, rerun, url, base.snapshot)


# -- practice ingestion killed -------------------------------------------------------------------------
PRACTICE_TRACK, PRACTICE_FROM, PRACTICE_TO = "capitaloffroad", "2025-09-01", "2025-11-30"


@pytest.mark.parametrize("seed", [pytest.param(7), *(pytest.param(s, marks=pytest.mark.faults) for s in (31, 32, 33, 34))])
def test_a_practice_ingest_killed_at_a_seeded_moment_is_completed_by_the_rerun(
        seed, practice_site, baseline, fault_server, make_database, tmp_path):
    clean = baseline(practice_site, "practice", {"track": PRACTICE_TRACK, "date_from": PRACTICE_FROM,
                                                 "date_to": PRACTICE_TO, "mode": "ingest"})
    assert clean.snapshot["practice_laps"]
    kill_at = random.Random(seed).randint(3, clean.result.requests - 1)
    url = fresh_database(make_database)
    env = crawl_env(url, tmp_path / "home")
    server = fault_server(practice_site)
    argv = ["practice", "ingest", "--track", PRACTICE_TRACK, "--from", PRACTICE_FROM, "--to", PRACTICE_TO,
            "--site", server.site]
    proc: dict[str, subprocess.Popen] = {}
    fired = kill_on_request(server, kill_at, lambda: os.kill(proc["p"].pid, signal.SIGKILL))
    proc["p"] = subprocess.Popen([sys.executable, "-m", "mre_crawler", *argv], env=env, cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc["p"].communicate(timeout=180)
    assert fired.is_set() and proc["p"].returncode == -signal.SIGKILL, f"seed {seed}: not killed at {kill_at}"
    nothing_contradicts(seed, clean.snapshot, url)
    rerun = mre(argv, env)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    with psycopg.connect(url, autocommit=True) as conn:
        differences = diff_snapshots(clean.snapshot, db_snapshot(conn))
    assert differences == [], f"seed {seed}:\n" + explain(differences)


# -- two crawls of the same track at once (overlapping cron runs) -------------------------------------
def test_two_crawls_of_one_track_at_once_store_exactly_what_one_crawl_stores(
        crash_site, clean, fault_server, make_database, tmp_path):
    slug, base = clean
    url = fresh_database(make_database)
    server = fault_server(crash_site)
    argv = [sys.executable, "-m", "mre_crawler", "crawl", "track", slug, "--site", server.site,
            "-s", "MRE_STORE_BATCH_PAGES=3"]
    # One shared MRE_HOME (the same cron user) and one with a cache of its own (another machine).
    procs = [subprocess.Popen(argv, env=crawl_env(url, tmp_path / home), cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for home in ("home", "home", "other")]
    outcomes = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err[-1500:] for _out, err in outcomes]
    with psycopg.connect(url, autocommit=True) as conn:
        differences = diff_snapshots(base.snapshot, db_snapshot(conn))
        runs = [r[0] for r in conn.execute("SELECT finish_reason FROM mre.crawl_runs")]
    assert differences == [], explain(differences)
    assert runs == ["finished"] * 3  # none taken for dead while it ran
