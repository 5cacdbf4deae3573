"""`mre session-type set|list|backfill` against a real PostgreSQL and a real warehouse build:
overrides win and survive re-crawls, dry-run changes nothing, a stopped run resumes, rollback
restores every value, and MRE_SESSION_TYPE_INFERENCE switches the published contract."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import psycopg
import pytest

from mre_crawler.cli import main
from mre_crawler.store import Store

from tests.fixtures_session_types import EVENT, HIGH, RACES, build, event_item, stored  # noqa: F401 - shared

pytestmark = pytest.mark.db

def mart_races(tmp_path: Path) -> dict[int, tuple]:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        rows = con.sql("select race_id, session_type, inferred_session_type, session_type_confidence from mart_races").fetchall()
    return {r[0]: r[1:] for r in rows}


def test_list_refuses_a_missing_warehouse_then_shows_what_needs_a_human(crawled, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["session-type", "list", "--low-confidence", "--json"])
    assert exit_.value.code == 1
    assert "no warehouse at" in capsys.readouterr().err and not (tmp_path / "warehouse.duckdb").exists()
    build()
    capsys.readouterr()
    assert main(["session-type", "list", "--low-confidence", "--json"]) == 0
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["race_id"], r["session_type"], r["confidence"]) for r in rows] == [(880000006, "race", "low")]
    assert (rows[0]["signals_agreed"], rows[0]["signals_disagreed"]) == (["label", "schedule"], ["section"])


def test_override_wins_is_listed_at_once_and_survives_a_recrawl(crawled, capsys):
    build()
    assert main(["session-type", "set", "880000006", "qualifying", "--kind", "heat", "--reason", "heat sheet says Q2"]) == 0
    capsys.readouterr()
    # listed before any rebuild: the curation table is read live
    assert main(["session-type", "list", "--json", "--event", str(EVENT)]) == 0
    rows = {r["race_id"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert (rows[880000006]["session_type"], rows[880000006]["session_kind"], rows[880000006]["confidence"],
            rows[880000006]["override_set_by"]) == ("qualifying", "heat", "override", "steward")
    assert main(["session-type", "list", "--low-confidence", "--json"]) == 0
    assert capsys.readouterr().out == ""  # the human settled it

    # a re-crawl of the event rewrites the race rows: the override and races.session_type stay
    crawled.execute("update mre.races set session_type = 'qualifying' where race_id = 880000006")
    store = Store(crawled)
    store.write_page(event_item(), url=f"https://bftest.liverc.com/results/?p=view_event&id={EVENT}", page_type="event")
    store.flush()
    assert stored(crawled)[880000006] == "qualifying"
    assert crawled.execute("select session_type, reason, set_by from mre.session_type_overrides").fetchall() == [
        ("qualifying", "heat sheet says Q2", "steward")]
    build()
    with duckdb.connect(os.environ["MRE_WAREHOUSE_PATH"], read_only=True) as con:
        assert con.sql("select session_type, confidence, override_set_by from mart_race_session_types "
                       "where race_id = 880000006").fetchall() == [("qualifying", "override", "steward")]


def test_set_rejects_an_unknown_race_and_type(crawled, capsys):
    assert main(["session-type", "set", "1", "race", "--reason", "x"]) == 2
    assert main(["session-type", "set", "880000001", "sprint", "--reason", "x"]) == 2
    assert "race 1 is not in the database" in capsys.readouterr().err


def test_dry_run_prints_the_plan_and_changes_nothing(crawled, capsys):
    build()
    capsys.readouterr()
    assert main(["session-type", "backfill", "--dry-run", "--min-confidence", "medium"]) == 0
    out = capsys.readouterr().out
    assert "dry run: 5 races would change" in out
    assert "NULL -> qualifying  (high)" in out and "880000005\tNULL -> qualifying\tmedium" in out
    assert "880000006" not in out  # low confidence is below --min-confidence medium
    assert set(stored(crawled).values()) == {None}
    assert crawled.execute("select count(*) from mre.session_type_backfill_runs").fetchone()[0] == 0
    assert crawled.execute("select count(*) from mre.session_type_audit").fetchone()[0] == 0


def test_a_stopped_run_resumes_high_confidence_first_and_audits_every_change(crawled, capsys):
    build()
    assert main(["session-type", "backfill", "--batch", "2", "--min-confidence", "medium", "--max-batches", "1"]) == 0
    # one committed batch of two: the surest first (all high rank before the medium one)
    first = {r for r, v in stored(crawled).items() if v is not None}
    assert len(first) == 2 and first <= set(HIGH)
    run_id, status, applied = crawled.execute(
        "select run_id, status, applied from mre.session_type_backfill_runs").fetchone()
    assert (status, applied) == ("running", 2)
    capsys.readouterr()
    assert main(["session-type", "backfill", "--batch", "2"]) == 0
    assert f"resuming backfill run {run_id}: 2/5" in capsys.readouterr().out
    expected = {r: (v[2] if v[3] != "low" else None) for r, v in RACES.items()}
    assert stored(crawled) == expected
    assert crawled.execute("select status, applied, changed from mre.session_type_backfill_runs").fetchone() == ("finished", 5, 5)
    audit = crawled.execute("select run_id, race_id, old_session_type, new_session_type from mre.session_type_audit "
                            "order by audit_id").fetchall()
    assert sorted(audit, key=lambda a: a[1]) == sorted((run_id, r, None, v) for r, v in expected.items() if v)
    assert [a[1] for a in audit][:4] == sorted(HIGH)  # high confidence written first


def test_a_run_killed_in_the_middle_of_a_batch_loses_only_that_batch_and_resumes(crawled, pg_url, capsys):
    """A real kill: the backfill runs in its own process; a row lock held here stalls it inside its
    second batch (after the first committed), and then the process is SIGKILLed."""
    import signal
    import subprocess
    import sys
    import time

    build()
    blocker = psycopg.connect(pg_url)  # not autocommit: the lock is held until rollback
    # NO KEY UPDATE blocks the batch's UPDATE of this race but not the plan's foreign-key checks.
    blocker.execute("select 1 from mre.races where race_id = 880000003 for no key update")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mre_crawler", "session-type", "backfill", "--batch", "2", "--min-confidence", "medium"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        waiting = None
        while time.monotonic() < deadline and proc.poll() is None:
            waiting = crawled.execute(
                "select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'"
            ).fetchone()
            if waiting:
                break
            time.sleep(0.05)
        assert waiting, "the backfill never reached the locked row"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        blocker.rollback()
        blocker.close()
    # The killed client never sent COMMIT: its half-done batch is rolled back by the server.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and crawled.execute(
            "select count(*) from pg_stat_activity where pid = %s", (waiting[0],)).fetchone()[0]:
        time.sleep(0.05)
    run_id, status, applied = crawled.execute(
        "select run_id, status, applied from mre.session_type_backfill_runs").fetchone()
    assert (status, applied) == ("running", 2)
    assert {r for r, v in stored(crawled).items() if v is not None} == {880000001, 880000002}
    assert crawled.execute("select count(*) from mre.session_type_audit").fetchone()[0] == 2
    capsys.readouterr()
    assert main(["session-type", "backfill", "--batch", "2"]) == 0
    assert f"resuming backfill run {run_id}: 2/5" in capsys.readouterr().out
    assert stored(crawled) == {r: (v[2] if v[3] != "low" else None) for r, v in RACES.items()}
    assert crawled.execute("select count(*) from mre.session_type_audit").fetchone()[0] == 5


def test_rollback_restores_every_previous_value(crawled, capsys):
    # a legacy value set by an older tool, which the backfill corrects
    crawled.execute("update mre.races set session_type = 'race' where race_id = 880000001")
    before = stored(crawled)
    build()
    assert main(["session-type", "backfill", "--min-confidence", "low", "--batch", "4"]) == 0
    after = stored(crawled)
    assert after[880000001] == "qualifying" and after != before
    run_id = crawled.execute("select max(run_id) from mre.session_type_backfill_runs").fetchone()[0]
    capsys.readouterr()
    assert main(["session-type", "backfill", "--rollback", str(run_id)]) == 0
    assert "restored 6 races" in capsys.readouterr().out  # all six, 880000006 (low: race over NULL) too
    assert stored(crawled) == before
    assert crawled.execute("select status from mre.session_type_backfill_runs where run_id = %s", (run_id,)).fetchone() == ("rolled_back",)
    assert main(["session-type", "backfill", "--rollback", str(run_id)]) == 2  # only once


def test_inference_switch_keeps_the_legacy_contract_when_off(crawled, tmp_path, monkeypatch):
    build()
    off = mart_races(tmp_path)
    assert {r: v[0] for r, v in off.items()} == {r: None for r in RACES}  # NULL, read as race
    assert {r: v[1:] for r, v in off.items()} == {r: (v[2], v[3]) for r, v in RACES.items()}
    monkeypatch.setenv("MRE_SESSION_TYPE_INFERENCE", "on")
    build()
    assert {r: v[0] for r, v in mart_races(tmp_path).items()} == {r: v[2] for r, v in RACES.items()}
    monkeypatch.setenv("MRE_SESSION_TYPE_INFERENCE", "maybe")
    assert main(["warehouse", "build", "--no-publish-postgres"]) == 2
