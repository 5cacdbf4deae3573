"""Crash consistency: a crawl killed (SIGKILL) at a seeded page request leaves nothing wrong, and the
same command, run again, completes to a database equal to a clean crawl's.

The kill comes from the FaultServer's ``on_request`` hook as the Nth request arrives, so the point
is a request count, not a time: a failure names its seed and replays.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading

import pytest

from mre_crawler.samplesite import load_truth
from tests.fixtures_faults import db_snapshot, diff_snapshots, explain

pytestmark = [pytest.mark.db, pytest.mark.faults]


def mre_crawl(slug: str, site: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mre_crawler", "crawl", "track", slug, "--site", site],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_a_crawl_killed_at_a_seeded_request_leaves_nothing_wrong_and_a_rerun_completes_it(
        small_site, fault_server, pg_url, pg_conn, baseline, tmp_path, seed):
    slug = load_truth(small_site)["tracks"][0]["slug"]
    clean = baseline(small_site, "track", {"track": slug})
    kill_at = random.Random(seed).randrange(4, clean.result.requests)
    env = {**os.environ, "MRE_DATABASE_URL": pg_url, "MRE_HOME": str(tmp_path / "home"),
           "MRE_CONTACT": "tests@example.invalid"}
    server = fault_server(small_site)
    crawler: dict[str, subprocess.Popen] = {}
    killed = threading.Event()

    def kill(n: int, _entry) -> None:
        if n == kill_at and not killed.is_set():
            os.kill(crawler["proc"].pid, signal.SIGKILL)
            killed.set()

    server.on_request(kill)
    crawler["proc"] = mre_crawl(slug, server.site, env)
    crawler["proc"].communicate(timeout=120)
    assert killed.is_set() and crawler["proc"].returncode == -signal.SIGKILL, f"seed {seed}: not killed at request {kill_at}"

    # Killed: rows may be missing, but nothing stored contradicts the clean crawl.
    after_kill = diff_snapshots(clean.snapshot, db_snapshot(pg_conn))
    contradicted = [d for d in after_kill if d.kind == "extra"
                    or (d.kind == "wrong" and any(d.got[c] is not None for c in d.columns))]
    assert contradicted == [], f"seed {seed}, killed at request {kill_at}:\n" + explain(contradicted)

    rerun = mre_crawl(slug, server.site, env)
    output, _ = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, output
    diffs = diff_snapshots(clean.snapshot, db_snapshot(pg_conn))
    assert diffs == [], f"seed {seed}, killed at request {kill_at}:\n" + explain(diffs)
