"""The model runner over small model trees written into tmp_path: order, errors naming files,
stop-on-failure, checks, and the publish-only-when-green rule."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from warehouse.models import ModelError, discover_models, input_tables, order_models
from warehouse.runner import SQL_DIR, BuildFailed, build_warehouse, grain_check_sql
from warehouse.sources import ArrowSources


def write_model(sql_dir: Path, layer: str, name: str, select: str, unique: str = "race_id") -> Path:
    path = sql_dir / "models" / layer / f"{name}.sql"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"-- {name}\n-- grain: one row per race\n-- unique: {unique}\n{select}\n")
    return path


def races_source() -> ArrowSources:
    return ArrowSources({"races": pa.table({"race_id": [1, 2, 3], "race_name": ["A-Main", "B-Main", "C-Main"]})})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    sql = tmp_path / "sql"
    write_model(sql, "staging", "stg_races", "select race_id, race_name from src_races")
    write_model(sql, "intermediate", "int_mains", "with m as (select * from stg_races) select race_id, race_name from m")
    write_model(sql, "marts", "mart_mains", "select race_id, upper(race_name) as label from int_mains")
    (sql / "checks").mkdir()
    return sql


def table_names(path: Path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {r[0] for r in con.sql("show tables").fetchall()}


def test_inputs_exclude_own_ctes_and_table_functions():
    sql = "with a as (select * from stg_races), b as (select * from a) select * from b join stg_laps using (race_id), range(3) r"
    assert input_tables(sql) == {"stg_races", "stg_laps"}


def test_models_run_in_dependency_order(project: Path):
    ordered = order_models(discover_models(project / "models"), {"src_races"})
    assert [m.name for m in ordered] == ["stg_races", "int_mains", "mart_mains"]


def test_build_publishes_the_file_with_every_model(project: Path, tmp_path: Path):
    target = tmp_path / "out" / "warehouse.duckdb"
    report = build_warehouse(target, races_source(), sql_dir=project)
    assert [(m.name, m.rows) for m in report.models] == [("stg_races", 3), ("int_mains", 3), ("mart_mains", 3)]
    assert table_names(target) == {"stg_races", "int_mains", "mart_mains"}
    assert all(c.passed for c in report.checks) and len(report.checks) == 6  # unique + not null per model
    assert list(target.parent.iterdir()) == [target]  # no build leftovers


def test_cycle_is_an_error_naming_the_file(project: Path):
    path = write_model(project, "staging", "stg_races", "select race_id from int_mains")
    with pytest.raises(ModelError, match="dependency cycle") as err:
        order_models(discover_models(project / "models"), set())
    assert err.value.path.name in {"stg_races.sql", "int_mains.sql"}
    assert str(path) in err.value.reason and "int_mains.sql" in err.value.reason


def test_unknown_table_is_an_error_naming_the_file(project: Path):
    path = write_model(project, "marts", "mart_mains", "select race_id from int_mainz")
    with pytest.raises(ModelError, match="unknown table int_mainz") as err:
        order_models(discover_models(project / "models"), {"src_races"})
    assert err.value.path == path


def test_model_without_grain_line_is_rejected(project: Path):
    path = project / "models" / "marts" / "mart_bare.sql"
    path.write_text("select 1 as race_id\n")
    with pytest.raises(ModelError, match="grain") as err:
        discover_models(project / "models")
    assert err.value.path == path


def test_failing_model_stops_the_build_and_keeps_the_last_good_file(project: Path, tmp_path: Path):
    target = tmp_path / "warehouse.duckdb"
    build_warehouse(target, races_source(), sql_dir=project)
    good = target.read_bytes()
    bad = write_model(project, "intermediate", "int_mains", "select race_id, race_name, 1 / 'x' as boom from stg_races")
    with pytest.raises(BuildFailed) as err:
        build_warehouse(target, races_source(), sql_dir=project)
    assert err.value.what == "int_mains" and err.value.path == bad
    assert "Conversion Error" in err.value.message or "Could not convert" in err.value.message
    assert target.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".duckdb") or ".building" in p.name) == ["warehouse.duckdb"]


def test_failing_check_blocks_publishing(project: Path, tmp_path: Path):
    target = tmp_path / "warehouse.duckdb"
    check = project / "checks" / "mains_have_labels.sql"
    check.write_text("select race_id from mart_mains where label like 'B%'")
    published = []
    with pytest.raises(BuildFailed, match="1 offending rows") as err:
        build_warehouse(target, races_source(), sql_dir=project, publish=lambda con, marts: published.append(1))
    assert err.value.path == check
    assert not target.exists() and published == []


def test_grain_checks_come_from_the_unique_header(project: Path, tmp_path: Path):
    write_model(project, "marts", "mart_mains", "select race_id % 2 as race_id, race_name from int_mains")
    with pytest.raises(BuildFailed, match=r"mart_mains\.unique\(race_id\)"):
        build_warehouse(tmp_path / "w.duckdb", races_source(), sql_dir=project)
    write_model(project, "marts", "mart_mains", "select nullif(race_id, 2) as race_id, race_name from int_mains")
    with pytest.raises(BuildFailed, match=r"mart_mains\.not_null\(race_id\)"):
        build_warehouse(tmp_path / "w.duckdb", races_source(), sql_dir=project)


def test_grain_check_sql_covers_every_key_column():
    model = discover_models(SQL_DIR / "models")
    laps = next(m for m in model if m.name == "stg_laps")
    assert laps.unique_key == ("race_id", "driver_id", "lap_number")
    (_, unique_sql), (_, null_sql) = grain_check_sql(laps)
    assert '"lap_number"' in unique_sql and '"lap_number" is null' in null_sql


def test_every_project_model_states_its_grain_and_orders_without_errors():
    models = discover_models(SQL_DIR / "models")
    from warehouse.item_sources import SCHEMAS
    from warehouse.settings import SETTINGS_SOURCE

    # every table the item adapter shapes like PostgreSQL, plus the build settings the runner adds
    sources = {f"src_{t}" for t in SCHEMAS} | {SETTINGS_SOURCE}
    ordered = order_models(models, sources)
    assert all(m.grain.startswith("one row per") for m in ordered)
    assert {"stg_races", "int_race_session_signals", "mart_race_session_types"} <= {m.name for m in ordered}


def test_a_view_model_is_built_as_a_view_the_file_can_read_and_gets_no_grain_checks_of_its_own(project: Path, tmp_path: Path):
    path = project / "models" / "intermediate" / "int_mains.sql"
    path.write_text(path.read_text().replace("-- unique: race_id\n", "-- unique: race_id\n-- materialized: view\n"))
    target = tmp_path / "out" / "warehouse.duckdb"
    report = build_warehouse(target, races_source(), sql_dir=project)
    assert [(m.name, m.rows) for m in report.models] == [("stg_races", 3), ("int_mains", 3), ("mart_mains", 3)]
    assert sorted(c.name.split(".")[0] for c in report.checks) == ["mart_mains"] * 2 + ["stg_races"] * 2
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.sql("select table_type from information_schema.tables where table_name = 'int_mains'"
                       ).fetchall() == [("VIEW",)]
        assert con.sql("select count(*) from int_mains").fetchall() == [(3,)]


def test_materialized_takes_table_or_view_only(project: Path):
    path = project / "models" / "marts" / "mart_mains.sql"
    path.write_text(path.read_text().replace("-- unique: race_id\n", "-- unique: race_id\n-- materialized: cache\n"))
    with pytest.raises(ModelError, match="materialized must be table or view"):
        discover_models(project / "models")
