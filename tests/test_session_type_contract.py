"""The legacy session-type contract follows curation (issue 16): an override set, backfilled into
PostgreSQL and then cleared is no longer published with inference off; the value from before the
backfill is (NULL where it was NULL). And `inferred_session_type` means pure inference in every
mart, with `effective_session_type` for "override, else inference"."""

from __future__ import annotations

import duckdb
import pytest

from mre_crawler.cli import main
from tests.fixtures_session_types import RACES, build, stored

pytestmark = pytest.mark.db


def mart(tmp_path, columns: str) -> dict[int, tuple]:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        return {r[0]: r[1:] for r in con.sql(f"select race_id, {columns} from mart_races").fetchall()}


def test_clear_after_backfill_publishes_the_value_from_before_under_the_legacy_contract(crawled, tmp_path, capsys):
    crawled.execute("update mre.races set session_type = 'race' where race_id = 880000001")  # a legacy value
    assert main(["session-type", "set", "880000001", "practice", "--reason", "r"]) == 0
    assert main(["session-type", "set", "880000006", "qualifying", "--kind", "heat", "--reason", "r"]) == 0
    build()
    assert main(["session-type", "backfill"]) == 0
    assert stored(crawled)[880000001] == "practice" and stored(crawled)[880000006] == "qualifying"
    build()
    published = mart(tmp_path, "session_type, inferred_session_type, effective_session_type")
    assert published[880000001] == ("practice", "qualifying", "practice")  # inference stays pure
    assert published[880000006] == ("qualifying", "race", "qualifying")

    assert main(["session-type", "clear", "880000001", "--reason", "wrong race"]) == 0
    assert main(["session-type", "clear", "880000006", "--reason", "wrong race"]) == 0
    build()
    published = mart(tmp_path, "session_type, inferred_session_type, effective_session_type")
    assert published[880000001] == ("race", "qualifying", "qualifying")  # the legacy value from before
    assert published[880000006] == (None, "race", "race")  # NULL where it was NULL
    # the races no override touched keep what the backfill wrote
    assert published[880000002][0] == "qualifying"

    # set again: the override is published again
    assert main(["session-type", "set", "880000006", "qualifying", "--reason", "it was right"]) == 0
    build()
    assert mart(tmp_path, "session_type")[880000006] == ("qualifying",)


def test_inferred_session_type_means_the_same_in_both_marts(crawled, tmp_path):
    assert main(["session-type", "set", "880000004", "practice", "--reason", "r"]) == 0
    build()
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        differing = con.sql(
            "select count(*) from mart_races m join mart_race_session_types s using (race_id) "
            "where m.inferred_session_type is distinct from s.inferred_session_type "
            "or m.effective_session_type is distinct from s.session_type").fetchall()
        assert differing == [(0,)]
        assert con.sql("select inferred_session_type, effective_session_type from mart_races "
                       "where race_id = 880000004").fetchall() == [(RACES[880000004][2], "practice")]
