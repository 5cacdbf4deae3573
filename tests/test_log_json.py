"""``--log-json FILE`` on the long commands: crawl, practice, sync, warehouse build, export.

Each command runs as `mre` does from cron (a subprocess) over a generated site on a local fault
server, all appending to one file. Every line must be strict JSON (no NaN), carry the fields a
machine keys on (ts, level, event, message, run, command), and the events must name the
database's own run ids and counts.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from mre_crawler import following
from mre_crawler.urls import practice_session_url
from tests.fixtures_samplesite import practice_site_as_of_today

pytestmark = [pytest.mark.db]

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date.today()
LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}


@pytest.fixture(scope="module")
def log_site(tmp_path_factory) -> Path:
    return practice_site_as_of_today(tmp_path_factory, "log-json", tracks=1, events=2)


def _strict_lines(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")

    def no_constants(name: str):
        raise AssertionError(f"not JSON: {name}")

    lines = []
    for n, line in enumerate(text.splitlines(), 1):
        assert line.strip(), f"line {n} is blank"
        obj = json.loads(line, parse_constant=no_constants)
        assert isinstance(obj, dict), f"line {n} is not an object: {line}"
        for key in ("ts", "level", "event", "message", "run", "command"):
            assert key in obj, f"line {n} has no {key}: {line}"
        assert obj["level"] in LEVELS and obj["event"] and isinstance(obj["message"], str) and obj["run"]
        dt.datetime.fromisoformat(obj["ts"])
        lines.append(obj)
    return lines


def test_every_long_command_writes_strict_json_lines_with_run_ids(log_site, fault_server, pg_url, pg_conn, tmp_path):
    from mre_crawler.samplesite import expected_items, load_truth, read_manifest

    slug = load_truth(log_site)["tracks"][0]["slug"]
    days = {}
    for _f, url, page_type in read_manifest(log_site):
        if page_type == "practice_day_overview":
            day = expected_items(log_site, url)[0]
            if TODAY - dt.timedelta(days=6) <= day.date:
                days[day.date] = day
    assert len(days) >= 2
    first_day = min(days)
    # One session page of the first recent day fails every time: warnings in the log, a day
    # logged for `mre practice retry`.
    broken = days[first_day].sessions[0].session_id
    server = fault_server(log_site, [{"action": "status", "status": 503,
                                      "url": rf"view_session&id={broken}$"}])
    log = tmp_path / "mre.jsonl"
    warehouse = tmp_path / "wh.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRE_")}
    env.update(MRE_DATABASE_URL=pg_url, MRE_HOME=str(tmp_path / "home"), MRE_CONTACT="tests@example.invalid",
               MRE_RETRY_BACKOFF_BASE="0")
    site = ["--site", server.site, "--log-json", str(log)]
    commands = [
        ["crawl", "track", slug, *site],
        ["practice", "ingest", "--track", slug, "--date", first_day.isoformat(), *site],
        ["sync", "--no-build", *site],
        ["warehouse", "build", "--warehouse", str(warehouse), "--log-json", str(log)],
        ["export", "parquet", str(tmp_path / "parquet"), "--warehouse", str(warehouse), "--log-json", str(log)],
    ]
    following.follow(pg_conn, slug, practice=True, since=None)
    codes = []
    for argv in commands:
        done = subprocess.run([sys.executable, "-m", "mre_crawler", *argv], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        codes.append(done.returncode)
        assert done.returncode in (0, 3), (argv, done.stdout, done.stderr)
        # The plain output stays plain: no JSON on stdout/stderr.
        assert not any(line.startswith('{"ts"') for line in (done.stdout + done.stderr).splitlines())

    lines = _strict_lines(log)
    by_command: dict[str, list[dict]] = {}
    for obj in lines:
        by_command.setdefault(obj["command"], []).append(obj)
    assert list(by_command) == ["mre crawl track", "mre practice ingest", "mre sync", "mre warehouse build",
                                "mre export parquet"]
    # One run id per invocation, shared by all its lines, different between invocations.
    runs = {c: {o["run"] for o in objs} for c, objs in by_command.items()}
    assert all(len(r) == 1 for r in runs.values()) and len(set().union(*runs.values())) == 5

    crawl_runs = [r[0] for r in pg_conn.execute("SELECT run_id FROM mre.crawl_runs ORDER BY run_id").fetchall()]
    practice_runs = [r[0] for r in pg_conn.execute("SELECT run_id FROM mre.practice_runs ORDER BY run_id")]
    (sync_id,) = pg_conn.execute("SELECT sync_id FROM mre.sync_runs").fetchone()

    # crawl: its run id, the track, cache hit/miss counts.
    (crawl,) = [o for o in by_command["mre crawl track"] if o["event"] == "crawl"]
    assert crawl["crawl_run_id"] == crawl_runs[0] and crawl["track"] == slug and crawl["level"] == "INFO"
    assert crawl["requests"] > 0 and crawl["cache_misses"] > 0 and crawl["message"].startswith("crawl ")

    # practice: one ingestion event for the day, with its sessions; the failed page is a warning.
    practice = by_command["mre practice ingest"]
    (ingestion,) = [o for o in practice if o["event"] == "ingestion"]
    assert ingestion["event_id"] == f"{slug}-practice-{first_day.isoformat()}"
    assert ingestion["sessions"] == len(days[first_day].sessions)  # the broken one from the overview only
    assert ingestion["practice_run_id"] == practice_runs[0]
    (pcrawl,) = [o for o in practice if o["event"] == "crawl"]
    assert pcrawl["spider"] == "practice" and ingestion["crawl_run_id"] == pcrawl["crawl_run_id"]
    warnings = [o for o in practice if o["level"] == "WARNING"]
    assert warnings and all(o["event"] == "log" and o["logger"] for o in warnings)
    assert any(practice_session_url(slug, broken) in o["message"] for o in warnings), warnings

    # sync: a crawl for the results and one for practice, the days, the track's outcome, the end.
    sync = by_command["mre sync"]
    kinds = Counter(o["event"] for o in sync)
    assert kinds["crawl"] == 2 and kinds["sync_track"] == 1 and kinds["sync"] == 1 and kinds["alert"] == 7
    assert kinds["ingestion"] == len(days)
    (track,) = [o for o in sync if o["event"] == "sync_track"]
    assert (track["sync_id"], track["track"], track["status"]) == (sync_id, slug, "partial")
    sessions_now = pg_conn.execute("SELECT count(*) FROM mre.practice_sessions").fetchone()[0]
    assert track["new"]["practice_days"] == len(days) - 1
    assert track["new"]["practice_sessions"] == sessions_now - ingestion["sessions"]
    (end,) = [o for o in sync if o["event"] == "sync"]
    assert end["sync_id"] == sync_id and end["exit_code"] == codes[2]

    # warehouse build: the session-type summary and the build itself.
    build = {o["event"]: o for o in by_command["mre warehouse build"]}
    assert build["warehouse_build"]["ok"] is True and build["warehouse_build"]["models"] > 0
    assert build["session_types"]["session_types"] > 0
    # export: files and rows, as the manifest lists them.
    (export,) = [o for o in by_command["mre export parquet"] if o["event"] == "export"]
    manifest = json.loads((tmp_path / "parquet" / "_manifest.json").read_text())
    assert export["files"] > 0 and export["rows"] == sum(f["rows"] for f in manifest["files"])


def test_a_value_json_cannot_hold_is_written_as_null(tmp_path):
    import logging

    from mre_crawler import eventlog

    path = tmp_path / "e.jsonl"
    handler = eventlog.install(path, "mre test")
    try:
        eventlog.emit("measure", value=float("nan"), inf=[float("inf")], when=dt.date(2026, 1, 2))
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("mre.test").exception("it failed: %s", "why")
    finally:
        eventlog.uninstall(handler)
    measure, failure = _strict_lines(path)
    assert (measure["value"], measure["inf"], measure["when"]) == (None, [None], "2026-01-02")
    assert failure["level"] == "ERROR" and failure["message"] == "it failed: why" and "ValueError: boom" in failure["exc"]
