"""The whole build against a real PostgreSQL: sources pulled with ADBC, marts published into the
``marts`` schema, and a failed build leaving the published marts as they were."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

if not (Path(__file__).with_name("fixtures_db.py")).exists():
    pytest.skip("tests/fixtures_db.py (the pg_url fixture) is not in this checkout yet", allow_module_level=True)

import duckdb
import psycopg

from warehouse.migrate import migrate
from warehouse.publish import publish_marts_to_postgres
from warehouse.runner import SQL_DIR, BuildFailed, build_warehouse
from warehouse.sources import PostgresSources

pytestmark = pytest.mark.db

EVENT = 990486677
HEAT, A_MAIN = 990000001, 990000002


@pytest.fixture(scope="module")
def crawled(pg_url: str) -> str:
    with psycopg.connect(pg_url) as conn:
        migrate(conn)
        conn.execute("insert into mre.tracks (slug, name) values ('whtest', 'Warehouse Test') on conflict do nothing")
        conn.execute(
            "insert into mre.events (source_event_id, event_id, track_slug, name) values (%s, %s, 'whtest', 'Clay Cup') "
            "on conflict do nothing",
            (str(EVENT), EVENT),
        )
        conn.execute(
            "insert into mre.races (race_id, event_id, track_slug, round_name, class_name, race_name, schedule_index) "
            "values (%s, %s, 'whtest', 'Qualifier Round 1', '1/8 Nitro Buggy', '1/8 Nitro Buggy (Heat 1/3)', 0), "
            "       (%s, %s, 'whtest', 'Main Events', '1/8 Nitro Buggy', '1/8 Nitro Buggy A-Main', 1) "
            "on conflict do nothing",
            (HEAT, EVENT, A_MAIN, EVENT),
        )
        conn.execute("insert into mre.drivers (driver_id, display_name) values (990346997, 'Felix Koegler') on conflict do nothing")
        conn.execute(
            "insert into mre.race_results (race_id, driver_id, position, status, total_time, fastest_lap) "
            "values (%s, 990346997, 1, 'finished', 1831.382, 37.234) on conflict do nothing",
            (A_MAIN,),
        )
    return pg_url


def published(url: str) -> dict[int, tuple]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select race_id, session_type, session_kind, confidence, signals_agreed "
            "from marts.mart_race_session_types where event_id = %s",
            (EVENT,),
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_build_pulls_postgres_and_publishes_marts(crawled: str, tmp_path: Path):
    target = tmp_path / "warehouse.duckdb"
    report = build_warehouse(
        target,
        PostgresSources(crawled, schema="mre"),
        publish=lambda con, marts: publish_marts_to_postgres(con, marts, crawled),
    )
    assert report.published_file and "marts" in report.published_postgres
    assert published(crawled) == {
        HEAT: ("qualifying", "heat", "high", ["label", "schedule", "section"]),
        A_MAIN: ("race", "main", "high", ["label", "section"]),
    }
    with duckdb.connect(str(target), read_only=True) as con:
        # numeric(10,3) arrives as double, exactly as published
        assert con.sql(f"select total_time_seconds, fastest_lap from stg_race_results where race_id = {A_MAIN}").fetchall() == [(1831.382, 37.234)]


def test_failed_build_leaves_published_marts_and_file_untouched(crawled: str, tmp_path: Path):
    target = tmp_path / "warehouse.duckdb"
    publish = lambda con, marts: publish_marts_to_postgres(con, marts, crawled)  # noqa: E731
    build_warehouse(target, PostgresSources(crawled, schema="mre"), publish=publish)
    before_file, before_marts = target.read_bytes(), published(crawled)
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql_dir)
    (sql_dir / "checks" / "no_mains.sql").write_text("select race_id from mart_race_session_types where session_kind = 'main'")
    with pytest.raises(BuildFailed, match="no_mains"):
        build_warehouse(target, PostgresSources(crawled, schema="mre"), sql_dir=sql_dir, publish=publish)
    assert target.read_bytes() == before_file
    assert published(crawled) == before_marts


def test_build_on_a_database_never_crawled_migrates_it_first_and_publishes_an_empty_warehouse(
        make_database, tmp_path, capsys, monkeypatch):
    from mre_crawler.cli import main

    url = make_database()  # an empty database: no mre schema at all
    monkeypatch.setenv("MRE_DATABASE_URL", url)
    path = tmp_path / "warehouse.duckdb"
    assert main(["warehouse", "build", "--path", str(path)]) == 0
    assert "migrations applied first: 0001_core.sql" in capsys.readouterr().out
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.sql("select count(*) from mart_races").fetchall() == [(0,)]
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from marts.mart_bumpups").fetchone() == (0,)
