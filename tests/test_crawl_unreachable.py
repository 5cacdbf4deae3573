"""No network, fast and plain (issue 9): a host that cannot be reached ends the crawl at once with
one line and exit 1, spends no budget, prints no traceback, and is never called an unknown track.

The commands run as the installed ``mre`` in a subprocess, so everything they print (logging,
Twisted, interpreter exit) is seen. Nothing here reaches the internet: a refused connection is a
free port on 127.0.0.1 with nothing listening, a failed DNS lookup is a ``.invalid`` host (RFC
6761: never resolves).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.db

MRE = Path(sys.executable).parent / "mre"
SLUG = "capitaloffroad"


def free_port() -> int:
    """A port nothing listens on (bound, read, closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_mre(args: list[str], pg_url: str, home: Path) -> tuple[subprocess.CompletedProcess, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRE_") or k == "MRE_TEST_DATABASE_URL"}
    env.update({"MRE_DATABASE_URL": pg_url, "MRE_HOME": str(home), "MRE_CONTACT": "tests@example.invalid"})
    started = time.monotonic()
    done = subprocess.run([str(MRE), *args], env=env, capture_output=True, text=True, timeout=180)
    return done, time.monotonic() - started


REFUSED = "refused"
NO_DNS = "http://nonexistent.invalid:80"


@pytest.mark.parametrize(
    ("args", "site", "line"),
    [
        (["crawl", "track", SLUG, "--polite"], REFUSED, "mre crawl: cannot reach 127.0.0.1:{port}: connection refused"),
        # Not "unknown track" (exit 2): the track was never asked.
        (["crawl", "track", SLUG], NO_DNS, "mre crawl: cannot reach nonexistent.invalid: DNS lookup failed"),
        (["crawl", "event", "--track", SLUG, "--id", "300013", "--polite"], REFUSED,
         "mre crawl: cannot reach 127.0.0.1:{port}: connection refused"),
        (["practice", "ingest", "--track", SLUG, "--from", "2025-09-01", "--to", "2025-10-31", "--polite"], REFUSED,
         "mre practice: cannot reach 127.0.0.1:{port}: connection refused"),
    ],
    ids=["track-refused", "track-no-dns", "event-refused", "practice-refused"],
)
def test_an_unreachable_host_ends_the_command_at_once_with_one_line_and_exit_1(args, site, line, pg_url, pg_conn,
                                                                               tmp_path):
    port = free_port()
    site_url = f"http://127.0.0.1:{port}" if site == REFUSED else site
    done, elapsed = run_mre([*args, "--site", site_url], pg_url, tmp_path / "home")

    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stderr.strip().splitlines() == [line.format(port=port)]
    assert done.stdout == ""
    assert "Traceback" not in done.stdout + done.stderr
    assert elapsed < 20
    # The failed attempts never reached the host: today's budgets are untouched.
    assert pg_conn.execute("SELECT coalesce(sum(used), 0) FROM mre.politeness_budget").fetchone()[0] == 0


def test_a_timeout_is_reported_under_the_liverc_url_in_plain_words(small_site, crawl, pg_conn):
    from mre_crawler.samplesite import read_manifest

    event_url = next(u for _f, u, t in read_manifest(small_site) if t == "event")
    # A server that accepts connections (the kernel does, into the backlog) and never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        site = f"http://127.0.0.1:{silent.getsockname()[1]}"
        result = crawl("event", {"url": event_url}, MRE_SITE=site, DOWNLOAD_TIMEOUT="1", MRE_RETRY_TIMES="0")

    assert result.failures == [(event_url, "timed out after 1 s")]
    assert not result.unreachable  # it answered the connection: slow, not unreachable
