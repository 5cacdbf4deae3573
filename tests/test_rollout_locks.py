"""Issue 16 over a real PostgreSQL: one writer at a time for session-type backfills and rollbacks,
a rollback of a running run refused unless --stop stops it cleanly, a run's status never moves
back, audit rows exact (a rollback restores updated_at too), and every bad input one line, exit 2.

A backfill is held mid-batch deterministically by a row lock taken here on one of its races (the
same technique as test_session_type_backfill's kill test)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import psycopg
import pytest

from mre_crawler.cli import main
from mre_crawler.store import Store
from tests.fixtures_session_types import EVENT, build, event_item

pytestmark = pytest.mark.db

BACKFILL = [sys.executable, "-m", "mre_crawler", "session-type", "backfill"]


def rows(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute("select * from mre.races order by race_id").fetchall()


def recrawl(conn: psycopg.Connection) -> None:
    store = Store(conn)
    store.write_page(event_item(), url=f"https://bftest.liverc.com/results/?p=view_event&id={EVENT}", page_type="event")
    store.flush()


def wait_for(conn: psycopg.Connection, query: str, params=(), timeout: float = 60) -> tuple | None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = conn.execute(query, params).fetchone()
        if row:
            return row
        time.sleep(0.05)
    return None


def read_line(stream, timeout: float) -> str:  # noqa: ANN001
    """The next line of a subprocess pipe, or "" after ``timeout`` seconds."""
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return got[0] if got else ""


class HeldBackfill:
    """A backfill subprocess (batches of 2) stalled in its second batch on a row lock held here."""

    def __init__(self, pg_url: str, conn: psycopg.Connection, race_id: int = 880000003) -> None:
        self.conn = conn
        self.blocker = psycopg.connect(pg_url)
        self.blocker.execute("select 1 from mre.races where race_id = %s for no key update", (race_id,))
        self.proc = subprocess.Popen(BACKFILL + ["--batch", "2", "--min-confidence", "medium"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        waiting = wait_for(conn, "select pid from pg_stat_activity where datname = current_database() "
                                 "and wait_event_type = 'Lock' and backend_type = 'client backend'")
        assert waiting, "the backfill never reached the locked row"
        self.run_id = conn.execute("select max(run_id) from mre.session_type_backfill_runs").fetchone()[0]

    def release(self) -> tuple[int, str, str]:
        self.blocker.rollback()
        self.blocker.close()
        out, err = self.proc.communicate(timeout=60)
        return self.proc.returncode, out, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if not self.blocker.closed:
            self.blocker.rollback()
            self.blocker.close()


def test_a_second_backfill_is_refused_naming_the_running_run(crawled, pg_url, capsys):
    build()
    held = HeldBackfill(pg_url, crawled)
    try:
        capsys.readouterr()
        started = time.monotonic()
        assert main(["session-type", "backfill", "--min-confidence", "low"]) == 1
        assert time.monotonic() - started < 10  # promptly, not after the first one
        err = capsys.readouterr().err
        assert f"backfill run {held.run_id} is running" in err and "--wait" in err
        assert len(err.strip().splitlines()) == 1
        code, out, _ = held.release()
    finally:
        held.kill()
    assert code == 0 and f"backfill run {held.run_id}: 5/5 races done, finished" in out
    # only the one run exists and every audit row is one of its real changes
    assert crawled.execute("select run_id, status, changed from mre.session_type_backfill_runs").fetchall() == [
        (held.run_id, "finished", 5)]
    assert crawled.execute("select count(*), min(run_id), max(run_id) from mre.session_type_audit").fetchone() == (
        5, held.run_id, held.run_id)


def test_a_second_backfill_with_wait_waits_and_finds_nothing_left(crawled, pg_url):
    build()
    held = HeldBackfill(pg_url, crawled)
    try:
        second = subprocess.Popen(BACKFILL + ["--wait", "--min-confidence", "medium"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # its first line says whom it waits for; read it before letting the first one go (a fixed
        # sleep was too short on a loaded machine: the second started after the first had finished)
        first_line = read_line(second.stderr, timeout=60)
        assert first_line.startswith("waiting: backfill run"), first_line
        assert second.poll() is None  # still waiting for the first
        code, _, _ = held.release()
        out, err = second.communicate(timeout=120)
    finally:
        held.kill()
    assert code == 0 and second.returncode == 0, first_line + err
    assert "0 races to write" in out
    assert crawled.execute("select sum(changed) from mre.session_type_backfill_runs").fetchone()[0] == 5
    assert crawled.execute("select count(*) from mre.session_type_audit").fetchone()[0] == 5


def test_rollback_of_a_running_run_is_refused_then_stop_stops_it_and_rolls_it_back(crawled, pg_url, capsys):
    before = rows(crawled)
    build()
    held = HeldBackfill(pg_url, crawled)
    try:
        capsys.readouterr()
        assert main(["session-type", "backfill", "--rollback", str(held.run_id)]) == 1
        err = capsys.readouterr().err
        assert f"backfill run {held.run_id} is running" in err and "--stop" in err
        assert crawled.execute("select count(*) from mre.session_type_backfill_runs").fetchone()[0] == 1
        stopper = subprocess.Popen(BACKFILL + ["--rollback", str(held.run_id), "--stop"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert wait_for(crawled, "select 1 from mre.session_type_backfill_runs where run_id = %s and stop_requested",
                        (held.run_id,))
        code, out, _ = held.release()
        sout, serr = stopper.communicate(timeout=60)
    finally:
        held.kill()
    assert code == 0 and "stopped on request" in out
    assert stopper.returncode == 0, serr
    # the second batch committed (it was mid-batch), the third never started: 4 restored
    assert "restored 4 races" in sout
    assert rows(crawled) == before
    assert crawled.execute("select status, applied from mre.session_type_backfill_runs where run_id = %s",
                           (held.run_id,)).fetchone() == ("rolled_back", 4)
    # nothing resumes a rolled-back run
    capsys.readouterr()
    assert main(["session-type", "backfill", "--dry-run", "--min-confidence", "medium"]) == 0
    assert "unfinished" not in capsys.readouterr().out


def test_a_rolled_back_run_never_moves_back(crawled, capsys):
    build()
    assert main(["session-type", "backfill", "--max-batches", "1", "--batch", "2"]) == 0
    run_id = crawled.execute("select max(run_id) from mre.session_type_backfill_runs").fetchone()[0]
    assert main(["session-type", "backfill", "--rollback", str(run_id)]) == 0
    for status in ("finished", "running"):
        with pytest.raises(psycopg.errors.RaiseException, match="rolled back"):
            crawled.execute("update mre.session_type_backfill_runs set status = %s where run_id = %s", (status, run_id))
    from warehouse.session_types import CurationError, resume_backfill

    with pytest.raises(CurationError, match="rolled_back"):
        resume_backfill(crawled, run_id)


def test_ten_backfill_rollback_cycles_with_crawls_end_in_the_exact_starting_rows(crawled, capsys):
    crawled.execute("update mre.races set session_type = 'race' where race_id = 880000001")  # a legacy value
    recrawl(crawled)
    build()
    before = rows(crawled)
    for cycle in range(10):
        assert main(["session-type", "backfill", "--min-confidence", "low", "--batch", str(1 + cycle % 3)]) == 0
        recrawl(crawled)
        assert rows(crawled) != before
        run_id = crawled.execute("select max(run_id) from mre.session_type_backfill_runs "
                                 "where kind = 'backfill'").fetchone()[0]
        recrawl(crawled)
        assert main(["session-type", "backfill", "--rollback", str(run_id)]) == 0
        recrawl(crawled)
        assert rows(crawled) == before, f"cycle {cycle}"  # updated_at included
    # each audit row belongs to the run that wrote it: a backfill's rows are its changes, a
    # rollback's the exact reverse
    per_run = crawled.execute(
        "select r.run_id, r.kind, r.changed, count(a.*) from mre.session_type_backfill_runs r "
        "left join mre.session_type_audit a using (run_id) group by 1, 2, 3 order by 1").fetchall()
    assert len(per_run) == 20 and all(changed == audited == 6 for _, _, changed, audited in per_run)


@pytest.mark.parametrize("argv", [
    ["backfill", "--batch", "0"],
    ["backfill", "--batch", "-3"],
    ["backfill", "--batch", "many"],
    ["backfill", "--max-batches", "0"],
    ["backfill", "--rollback", "0"],
    ["backfill", "--rollback", "99999999999999999999999"],
    ["backfill", "--rollback", "x"],
    ["backfill", "--stop"],
    ["backfill", "--rollback", "5", "--batch", "3"],
    ["backfill", "--rollback", "987654"],
    ["set", "99999999999999999999999", "race", "--reason", "x"],
    ["set", "-1", "race", "--reason", "x"],
    ["set", "880000001", "race", "--kind", "practiceday", "--reason", "x"],
    ["set", "880000001", "qualifying", "--kind", "main", "--reason", "x"],
    ["clear", "880000001", "--reason", "nothing to clear"],
    ["clear", "99999999999999999999999", "--reason", "x"],
    ["list", "--event", "abc"],
    ["list", "--event", "0"],
])
def test_bad_session_type_input_is_one_line_and_exit_2(crawled, capsys, argv):
    assert main(["session-type", *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_clear_twice_says_there_is_nothing_to_clear(crawled, capsys):
    assert main(["session-type", "set", "880000001", "practice", "--kind", "practice", "--reason", "r"]) == 0
    assert main(["session-type", "clear", "880000001", "--reason", "r"]) == 0
    capsys.readouterr()
    assert main(["session-type", "clear", "880000001", "--reason", "r"]) == 2
    assert "race 880000001 has no override to clear" in capsys.readouterr().err


def test_a_resumed_run_refuses_a_different_min_confidence(crawled, capsys):
    build()
    assert main(["session-type", "backfill", "--batch", "2", "--min-confidence", "medium", "--max-batches", "1"]) == 0
    capsys.readouterr()
    assert main(["session-type", "backfill", "--min-confidence", "low"]) == 2
    assert "unfinished with --min-confidence medium" in capsys.readouterr().err
    assert main(["session-type", "backfill", "--batch", "3"]) == 0
    assert "min confidence medium, batches of 3" in capsys.readouterr().out
