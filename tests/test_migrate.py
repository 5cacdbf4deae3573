"""Migrations: applied in order, once, each recorded with its checksum; edits are refused."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import psycopg
import pytest

from warehouse.migrate import MIGRATIONS_DIR, MigrationError, applied, available, migrate, pending

pytestmark = pytest.mark.db


def _copy_migrations(tmp_path: Path) -> Path:
    d = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, d)
    return d


def test_migrate_applies_every_file_once_in_order(make_database):
    with psycopg.connect(make_database(), autocommit=True) as conn:
        names = [m.name for m in available()]
        assert names == sorted(names) and names[0] == "0001_core.sql"
        assert migrate(conn) == names
        assert migrate(conn) == []  # idempotent
        assert list(applied(conn)) == names
        assert pending(conn) == []
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'mre'")}
        assert {"tracks", "events", "races", "race_results", "laps", "drivers", "entry_lists", "entries",
                "points_tables", "points_rows", "points_rounds", "crawl_runs", "fetched_pages",
                "quarantine", "schema_migrations"} <= tables


def test_new_file_is_applied_and_recorded_with_its_checksum(make_database, tmp_path):
    d = _copy_migrations(tmp_path)
    with psycopg.connect(make_database(), autocommit=True) as conn:
        migrate(conn, d)
        (d / "9001_test_extra.sql").write_text("CREATE TABLE mre.test_extra (x int);\n")
        assert migrate(conn, d) == ["9001_test_extra.sql"]
        checksum = conn.execute(
            "SELECT checksum FROM mre.schema_migrations WHERE name = '9001_test_extra.sql'").fetchone()[0]
        assert checksum == next(m.checksum for m in available(d) if m.name == "9001_test_extra.sql")


def test_editing_an_applied_migration_is_an_error(make_database, tmp_path):
    d = _copy_migrations(tmp_path)
    with psycopg.connect(make_database(), autocommit=True) as conn:
        migrate(conn, d)
        with open(d / "0001_core.sql", "a") as fh:
            fh.write("\n-- an edit after the fact\n")
        with pytest.raises(MigrationError, match="0001_core.sql was edited after it was applied"):
            migrate(conn, d)


def test_a_failing_migration_is_rolled_back_and_not_recorded(make_database, tmp_path):
    d = _copy_migrations(tmp_path)
    (d / "9002_test_broken.sql").write_text("CREATE TABLE mre.half_done (x int);\nSELECT no_such_function();\n")
    with psycopg.connect(make_database(), autocommit=True) as conn:
        with pytest.raises(MigrationError, match="9002_test_broken.sql"):
            migrate(conn, d)
        assert "9002_test_broken.sql" not in applied(conn)
        assert "0001_core.sql" in applied(conn)  # earlier files stay applied: one transaction each
        assert conn.execute("SELECT to_regclass('mre.half_done')").fetchone()[0] is None


def test_badly_named_file_is_refused(tmp_path):
    d = _copy_migrations(tmp_path)
    (d / "extra.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="NNNN_lower_snake.sql"):
        available(d)


def test_concurrent_migrators_apply_each_file_once(make_database):
    url = make_database()
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                results.append(migrate(conn))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    everything = [m.name for m in available()]
    assert sorted(sum(results, [])) == everything  # each file applied by exactly one migrator
