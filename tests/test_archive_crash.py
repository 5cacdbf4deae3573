"""kill -9 during raw page archive writes and during ``mre reprocess``; re-run; compare.

- A crawl storing one page per transaction (each flush: body files written, fsync'd, renamed,
  then the index rows committed) is killed with SIGKILL as the N-th page request (N from the
  seed) reaches the server. Right after the kill, every index row has its whole file (the file
  decompresses to the body its name is the hash of); the re-run completes the database to the
  clean baseline crawl's and archives every page exactly once; ``mre archive prune`` then
  removes what the kill left half-done (temporary files, files without a row).
- ``mre reprocess`` (its parser processes too: the whole process group) is killed with SIGKILL
  after a seeded number of its batches committed, after a simulated parser change. Nothing
  committed contradicts the baseline; the re-run ends exactly at it; a third run writes 0 rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from mre_crawler.archive import PageArchive
from mre_crawler.samplesite import load_truth, read_manifest
from tests.fixtures_faults import db_snapshot, diff_snapshots, explain
from tests.test_crash_consistency import (
    crawl_env, fresh_database, kill_on_request, mre, not_known_yet,
)

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def archive_site(tmp_path_factory) -> Path:
    from mre_crawler.samplesite import generate

    return generate(tmp_path_factory.mktemp("archive-crash") / "site", tracks=1, events=3, seed=919, practice_days=0)


@pytest.fixture
def clean(archive_site: Path, baseline):
    slug = load_truth(archive_site)["tracks"][0]["slug"]
    return slug, baseline(archive_site, "track", {"track": slug})


def site_pages(site: Path) -> dict[str, bytes]:
    """URL -> body of every page a track crawl reads (all but the catalogue)."""
    return {url: (site / f).read_bytes() for f, url, t in read_manifest(site) if t != "track_catalogue"}


def indexed_bodies_are_whole(conn, archive: PageArchive) -> list[tuple[str, str]]:
    """Every index row's file is there and holds the body its name is the hash of; returns the rows."""
    rows = conn.execute("SELECT url, body_sha256 FROM mre.page_archive ORDER BY url").fetchall()
    for url, sha in rows:
        assert archive.has(sha), f"{url}: indexed, but its body file {sha} is missing"
        assert hashlib.sha256(archive.get(sha)).hexdigest() == sha, f"{url}: body file {sha} is not whole"
    return rows


def contradictions(clean_snapshot, url: str) -> list:
    with psycopg.connect(url, autocommit=True) as conn:
        after_kill = diff_snapshots(clean_snapshot, db_snapshot(conn))
    return [d for d in after_kill if d.kind == "extra"
            or (d.kind == "wrong" and any(not_known_yet(d, c) is False for c in d.columns))]


@pytest.mark.parametrize("seed", (11, 12))
def test_a_crawl_killed_while_archiving_leaves_no_body_half_written_or_indexed_without_its_file(
        seed, archive_site, clean, fault_server, make_database, tmp_path):
    from mre_crawler.commands.archive import prune

    slug, base = clean
    kill_at = random.Random(seed).randint(3, base.result.requests - 1)
    url = fresh_database(make_database)
    home = tmp_path / "home"
    env = crawl_env(url, home)
    argv = ["crawl", "track", slug, "-s", "MRE_STORE_BATCH_PAGES=1"]
    server = fault_server(archive_site)
    proc: dict[str, subprocess.Popen] = {}
    fired = kill_on_request(server, kill_at, lambda: os.kill(proc["p"].pid, signal.SIGKILL))
    proc["p"] = subprocess.Popen([sys.executable, "-m", "mre_crawler", *argv, "--site", server.site], env=env,
                                 cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc["p"].communicate(timeout=180)
    assert fired.is_set() and proc["p"].returncode == -signal.SIGKILL, f"seed {seed}: not killed at request {kill_at}"
    archive = PageArchive(home / "archive")
    with psycopg.connect(url, autocommit=True) as conn:
        killed_rows = indexed_bodies_are_whole(conn, archive)
    pages = site_pages(archive_site)
    assert len(killed_rows) < len(pages), f"seed {seed}: the kill came after the last page"
    assert contradictions(base.snapshot, url) == []

    rerun = mre([*argv, "--site", server.site], env)
    assert rerun.returncode == 0, f"seed {seed}: the re-run exited {rerun.returncode}: {rerun.stderr[-2000:]}"
    with psycopg.connect(url, autocommit=True) as conn:
        differences = diff_snapshots(base.snapshot, db_snapshot(conn))
        assert differences == [], f"seed {seed}:\n" + explain(differences)
        rows = indexed_bodies_are_whole(conn, archive)
        # Every page archived exactly once, with the body the server holds.
        assert rows == sorted((u, hashlib.sha256(b).hexdigest()) for u, b in pages.items())
        for u, sha in rows:
            assert archive.get(sha) == pages[u]
        # What the kill may have left half-done (a temporary file, a file whose row never
        # committed) is removed by prune; every indexed body stays.
        assert prune(conn, archive, dt.timedelta(days=3650), grace_seconds=0)["rows"] == 0
        assert indexed_bodies_are_whole(conn, archive) == rows
    left = {p.name for p in archive.root.rglob("*") if p.is_file()}
    assert left == {f"{sha}.zst" for _, sha in rows}


@pytest.mark.parametrize("seed, jobs", ((21, 1), (22, 2)))
def test_reprocess_killed_mid_run_is_completed_by_the_rerun(seed, jobs, archive_site, clean, fault_server,
                                                            make_database, tmp_path):
    slug, base = clean
    url = fresh_database(make_database)
    home = tmp_path / "home"
    env = crawl_env(url, home)
    server = fault_server(archive_site)
    first = mre(["crawl", "track", slug, "--site", server.site], env)
    assert first.returncode == 0, first.stderr[-2000:]
    server.stop()  # reprocess needs no network
    races = len(load_truth(archive_site)["races"])
    with psycopg.connect(url, autocommit=True) as conn:
        assert diff_snapshots(base.snapshot, db_snapshot(conn)) == []
        # What an older race parser left: no race length, no laps count per result.
        conn.execute("UPDATE mre.races SET length_seconds = NULL")
        conn.execute("UPDATE mre.race_results SET laps = NULL")
        conn.execute("UPDATE mre.stored_pages SET parser_version = 0 WHERE page_type = 'race_result'")

    # Killed (with its parser processes) once a seeded number of 2-page batches committed.
    kill_after = random.Random(seed).randint(1, races // 2 - 2)
    env = {**env, "MRE_STORE_BATCH_PAGES": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "mre_crawler", "reprocess", "--jobs", str(jobs)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    done = 0
    with psycopg.connect(url, autocommit=True) as conn:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            done = conn.execute("SELECT count(*) FROM mre.races WHERE length_seconds IS NOT NULL").fetchone()[0]
            if done >= 2 * kill_after:
                os.killpg(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.002)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"seed {seed}: reprocess ended ({proc.returncode}) before the kill"
    with psycopg.connect(url, autocommit=True) as conn:
        filled = conn.execute("SELECT count(*) FROM mre.races WHERE length_seconds IS NOT NULL").fetchone()[0]
    assert 0 < filled < races, f"seed {seed}: {filled} of {races} races filled at the kill"
    assert contradictions(base.snapshot, url) == []

    rerun = mre(["reprocess", "--jobs", str(jobs)], env)
    assert rerun.returncode == 0, f"seed {seed}: the re-run exited {rerun.returncode}: {rerun.stderr[-2000:]}"
    assert f"{races - filled} stored" in rerun.stdout, rerun.stdout
    with psycopg.connect(url, autocommit=True) as conn:
        differences = diff_snapshots(base.snapshot, db_snapshot(conn))
    assert differences == [], f"seed {seed}:\n" + explain(differences)
    again = mre(["reprocess", "--jobs", str(jobs)], env)
    assert again.returncode == 0 and "rows: 0 inserted, 0 updated, 0 removed" in again.stdout, again.stdout
