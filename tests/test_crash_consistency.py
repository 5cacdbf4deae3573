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

from mre_crawler.serve import SiteServer
from tests._tmp_snapshot import diff_snapshots, db_snapshot

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[1]
FAST_SEEDS = (1, 2, 3)
FULL_SEEDS = tuple(range(100, 124))  # 24 kill points


class KillingServer(SiteServer):
    """Serves the site; on the N-th page request (robots.txt not counted) calls ``on_kill`` first."""

    def __init__(self, directory: Path):
        super().__init__(directory)
        self.kill_at: int | None = None
        self.on_kill = None
        self.pages_seen = 0
        self.killed_at_page: int | None = None
        self._count_lock = threading.Lock()

    def _answer(self, path: str):
        if not path.endswith("/robots.txt"):
            with self._count_lock:
                self.pages_seen += 1
                fire = self.kill_at is not None and self.pages_seen == self.kill_at and self.on_kill is not None
            if fire:
                self.killed_at_page = self.pages_seen
                self.on_kill()
        return super()._answer(path)


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


@pytest.fixture(scope="module")
def crash_site(tmp_path_factory) -> Path:
    from mre_crawler.samplesite import generate

    return generate(tmp_path_factory.mktemp("crash") / "site", tracks=1, events=3, seed=909, practice_days=0)


@pytest.fixture(scope="module")
def track_slug(crash_site: Path) -> str:
    from mre_crawler.samplesite import load_truth

    return load_truth(crash_site)["tracks"][0]["slug"]


@pytest.fixture(scope="module")
def baseline(crash_site: Path, track_slug: str, make_database, tmp_path_factory) -> dict:
    """The database of one clean, uninterrupted crawl of the site, and how many pages it asked for."""
    url = fresh_database(make_database)
    with KillingServer(crash_site) as server:
        done = mre(["crawl", "track", track_slug, "--site", server.site],
                   crawl_env(url, tmp_path_factory.mktemp("baseline-home")))
        pages = server.pages_seen
    assert done.returncode == 0, done.stderr
    with psycopg.connect(url, autocommit=True) as conn:
        snapshot = db_snapshot(conn)
    assert snapshot["race_results"] and snapshot["laps"]
    return {"snapshot": snapshot, "pages": pages}


def crawl_killed_then_rerun(seed: int, crash_site: Path, track_slug: str, baseline: dict, make_database,
                            tmp_path: Path) -> tuple[KillingServer, subprocess.CompletedProcess, str]:
    rng = random.Random(seed)
    kill_at = rng.randint(2, baseline["pages"] - 1)
    batch = rng.choice(["1", "2", "3", "7", "50"])
    url = fresh_database(make_database)
    env = crawl_env(url, tmp_path / "home")
    argv = ["crawl", "track", track_slug, "-s", f"MRE_STORE_BATCH_PAGES={batch}"]
    with KillingServer(crash_site) as server:
        proc = subprocess.Popen([sys.executable, "-m", "mre_crawler", *argv, "--site", server.site], env=env,
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        server.kill_at = kill_at
        server.on_kill = lambda: os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=180)
        rerun = mre([*argv, "--site", server.site], env)
    return server, rerun, url


def check_complete_after_rerun(seed: int, killed: bool, rerun, url: str, baseline: dict) -> None:
    assert rerun.returncode == 0, f"seed {seed}: the re-run exited {rerun.returncode}: {rerun.stderr[-2000:]}"
    with psycopg.connect(url, autocommit=True) as conn:
        differences = diff_snapshots(baseline["snapshot"], db_snapshot(conn))
        runs = conn.execute("SELECT finish_reason FROM mre.crawl_runs ORDER BY run_id").fetchall()
    assert differences == [], f"seed {seed}: {differences[:5]}"
    if killed:
        # The killed run's row is closed by the next run, not left open forever.
        assert [r[0] for r in runs] == ["aborted", "finished"], f"seed {seed}: {runs}"


@pytest.mark.parametrize("seed", FAST_SEEDS)
def test_a_crawl_killed_at_a_seeded_moment_is_completed_by_the_rerun(
        seed, crash_site, track_slug, baseline, make_database, tmp_path):
    server, rerun, url = crawl_killed_then_rerun(seed, crash_site, track_slug, baseline, make_database, tmp_path)
    assert server.killed_at_page is not None, f"seed {seed}: the crawl ended before its kill point"
    check_complete_after_rerun(seed, True, rerun, url, baseline)


@pytest.mark.faults
@pytest.mark.parametrize("seed", FULL_SEEDS)
def test_many_seeded_kills_lose_nothing(seed, crash_site, track_slug, baseline, make_database, tmp_path):
    server, rerun, url = crawl_killed_then_rerun(seed, crash_site, track_slug, baseline, make_database, tmp_path)
    check_complete_after_rerun(seed, server.killed_at_page is not None, rerun, url, baseline)


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
        crash_site, track_slug, baseline, own_postgres, tmp_path):
    from mre_crawler.db import start_embedded
    from warehouse.migrate import migrate

    pgdata, url = own_postgres
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
    env = crawl_env(url, tmp_path / "home")
    argv = ["crawl", "track", track_slug, "-s", "MRE_STORE_BATCH_PAGES=2"]
    with KillingServer(crash_site) as server:
        server.kill_at = baseline["pages"] // 3
        server.on_kill = lambda: kill_postgres(pgdata)
        started = time.monotonic()
        lost = mre([*argv, "--site", server.site], env, timeout=120)
        elapsed = time.monotonic() - started
        assert server.killed_at_page is not None
        assert lost.returncode == 1, lost.stderr
        assert "Traceback" not in lost.stderr + lost.stdout, lost.stderr[-3000:]
        last = lost.stderr.strip().splitlines()[-1]
        assert last.startswith("mre crawl: database connection lost after ") and last.endswith("re-run to resume")
        # Promptly: it stops instead of fetching the rest of the site into nowhere.
        assert elapsed < 60 and server.pages_seen < baseline["pages"]
        wait_until_gone(pgdata)
        url = start_embedded(pgdata)
        env["MRE_DATABASE_URL"] = url
        rerun = mre([*argv, "--site", server.site], env)
    # The run that lost its database is closed as aborted by the re-run.
    check_complete_after_rerun(0, True, rerun, url, baseline)
