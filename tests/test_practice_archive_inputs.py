"""`mre practice archive` inputs and its one-writer lock (issue 16), over a real PostgreSQL: every
bad age or track is one line and exit 2 (no AssertionError or OverflowError reaches the user), and
a second archive/restore exits 1 naming the running one, or with --wait waits for it."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from mre_crawler.cli import main
from mre_crawler.rollout_lock import acquire, release

pytestmark = pytest.mark.db


@pytest.fixture
def db(pg_conn: psycopg.Connection, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> psycopg.Connection:
    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    pg_conn.execute("insert into mre.tracks (slug) values ('knowntrack')")
    return pg_conn


@pytest.mark.parametrize("argv", [
    ["--older-than", "99999y"],
    ["--older-than", "1000000000000d"],
    ["--older-than", "1000000000000w"],
    ["--older-than", "120000m"],
    ["--older-than", "9" * 5000 + "d"],
    ["--older-than", "0d"],
    ["--older-than=-5d"],
    ["--older-than", "6 months"],
    ["--older-than", "6m", "--restore"],
    [],
    ["--older-than", "6m", "--track", "nosuchtrack"],
    ["--restore", "--track", "nosuchtrack"],
    ["--older-than", "6m", "--track", "not a slug!"],
])
def test_bad_archive_input_is_one_line_and_exit_2(db, capsys, argv):
    assert main(["practice", "archive", *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_a_known_track_with_nothing_old_archives_nothing(db, capsys):
    assert main(["practice", "archive", "--older-than", "9999y", "--track", "knowntrack"]) == 2  # before year 1
    assert main(["practice", "archive", "--older-than", "2000y", "--track", "knowntrack"]) == 0
    assert "archived 0 practice days" in capsys.readouterr().out


def test_a_second_archive_is_refused_naming_the_first_or_waits_for_it(db, pg_url, capsys):
    with psycopg.connect(pg_url, autocommit=True) as other:
        acquire(other, "practice-archive", "a practice archive (before 2025-01-01)", "someone")
        started = time.monotonic()
        assert main(["practice", "archive", "--older-than", "6m"]) == 1
        assert time.monotonic() - started < 10
        err = capsys.readouterr().err
        assert "a practice archive (before 2025-01-01) is running" in err and "someone" in err and "--wait" in err
        assert main(["practice", "archive", "--restore"]) == 1
        capsys.readouterr()

        result: list[int] = []
        waiter = threading.Thread(target=lambda: result.append(main(["practice", "archive", "--restore", "--wait"])))
        waiter.start()
        time.sleep(0.8)
        assert waiter.is_alive() and not result  # waiting for the first
        release(other, "practice-archive")
        waiter.join(30)
    assert result == [0]
    assert "waiting: a practice archive (before 2025-01-01) is running" in capsys.readouterr().err
    assert db.execute("select count(*) from mre.rollout_writers").fetchone()[0] == 0


def test_ranges_at_the_end_of_the_calendar_are_not_a_traceback():
    import datetime as dt

    from mre_crawler.practice.ranges import RangeError, add_months, day_range, older_than_cutoff

    assert day_range("9999-11-01", "9999-12-31").months == ["9999-11", "9999-12"]
    with pytest.raises(ValueError):
        add_months(dt.date(9999, 12, 1), 1)
    with pytest.raises(RangeError, match="before year 1"):
        older_than_cutoff("2026y", today=dt.date(2025, 1, 1))
