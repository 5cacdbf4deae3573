"""`mre bumpups correct` checks a correction with the build's rules when it is made (issue 16), and a
correction that stops fitting later is a build warning with its id, not a failure that blocks
publishing. Real event 486677 (B-Main 6304830 feeds A-Main 6304829; C-Main 6304831 has no page)
stored in a real PostgreSQL and built by the real warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from mre_crawler.cli import main
from tests.test_bumpups_real_event import EVENT_ID, store_real_event

pytestmark = pytest.mark.db

A, B, C = 6304829, 6304830, 6304831


@pytest.fixture
def stored(liverc, pg_conn, pg_url, tmp_path: Path, monkeypatch):
    store_real_event(liverc, pg_conn)
    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    monkeypatch.setenv("MRE_WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    return pg_conn


def _driver(conn, in_race: int, not_in: int) -> int:
    return conn.execute(
        "select driver_id from mre.race_results where race_id = %s and driver_id not in "
        "(select driver_id from mre.race_results where race_id = %s) order by position limit 1",
        (in_race, not_in)).fetchone()[0]


def _correct(*argv: str) -> int:
    return main(["bumpups", "correct", str(EVENT_ID), *argv, "--reason", "test", "--by", "tester"])


def test_each_bad_correction_is_refused_with_one_line_and_exit_2(stored, capsys):
    both = stored.execute(f"select driver_id from mre.race_results where race_id = {A} "
                          f"intersect select driver_id from mre.race_results where race_id = {B} limit 1").fetchone()[0]
    a_only = _driver(stored, A, B)
    cases = [
        (("--add", "--driver", str(both), "--from", str(A), "--to", str(C)), "does not run after"),
        (("--add", "--driver", str(both), "--from", str(B), "--to", str(B)), "are the same race"),
        (("--add", "--driver", str(a_only), "--from", str(B), "--to", str(A)), f"did not run the source race {B}"),
        (("--suppress", "--driver", "1", "--to", str(A)), "driver 1 is not in the database"),
        (("--suppress", "--driver", str(_driver(stored, B, A)), "--to", str(A)), "there is no bump-up to suppress"),
        (("--clear", "--driver", str(both), "--to", str(A)), "to clear"),
        (("--add", "--driver", "99999999999999999999", "--from", str(B), "--to", str(A)), "wants an id"),
        (("--suppress", "--driver", str(both), "--from", str(B), "--to", str(A)), "--from goes with --add only"),
        (("--suppress", "--driver", "abc", "--to", str(A)), "--driver wants a numeric id"),
        (("--suppress", "--driver", str(both), "--to", "0"), "--to wants an id"),
    ]
    for argv, message in cases:
        assert _correct(*argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, (argv, err)
    assert stored.execute("select count(*) from mre.bumpup_corrections").fetchone()[0] == 0


def test_a_step_down_the_ladder_is_refused_by_tier(stored, capsys):
    # a fitting add is recorded; the tier rule (the published warehouse's int_race_tiers) refuses
    # a step from the A-Main down into the B-Main even where run order alone would not
    b_driver = _driver(stored, B, A)
    # the tier rule reads the published warehouse, which a correction never builds as a side effect
    assert main(["warehouse", "build", "--no-publish-postgres"]) == 0
    capsys.readouterr()
    assert _correct("--add", "--driver", str(b_driver), "--from", str(B), "--to", str(A)) == 0  # a fitting one
    assert "recorded correction" in capsys.readouterr().out
    from mre_crawler.bumpups.corrections import CorrectionError, check_tiers

    with pytest.raises(CorrectionError, match="not a higher tier"):
        check_tiers(_warehouse(), A, B)


def _warehouse() -> Path:
    import os

    return Path(os.environ["MRE_WAREHOUSE_PATH"])


def test_a_correction_that_no_longer_fits_is_a_build_warning_with_its_id(stored, capsys):
    b_driver = _driver(stored, B, A)
    # as if it fitted when it was made and a re-crawl changed the races: written around the checks
    cid = stored.execute(
        "insert into mre.bumpup_corrections (event_id, action, driver_id, source_race_id, target_race_id, reason, set_by) "
        "values (%s, 'add', %s, %s, %s, 'old', 'tester') returning correction_id", (EVENT_ID, b_driver, A, B)
    ).fetchone()[0]
    assert main(["warehouse", "build", "--no-publish-postgres"]) == 0
    out, err = capsys.readouterr()
    assert "bumpup_corrections_that_no_longer_fit" in out and "WARNING" in out and "with warnings" in out
    assert f"correction_id={cid}" in err
    with duckdb.connect(str(_warehouse()), read_only=True) as con:
        assert con.execute("select count(*) from mart_bumpups").fetchone()[0] >= 1  # published
