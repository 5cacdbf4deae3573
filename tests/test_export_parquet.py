"""`mre export parquet`: every mart and core table, laps with their keys, hive partitioning, and
atomic re-export (a failed export leaves the last good files; stale entries go, user files stay)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from mre_crawler.cli import main
from mre_crawler.items import PracticeDay
from mre_crawler.samplesite.site import SiteParams, iter_site
from warehouse.export import export_parquet
from warehouse.item_sources import item_sources
from warehouse.models import discover_models
from warehouse.runner import SQL_DIR, run_models, with_dependencies
from warehouse.settings import SETTINGS_SOURCE, BuildSettings
from warehouse.sources import ArrowSources

MARTS = ["mart_races", "mart_race_session_types", "mart_practice_days", "mart_practice_driver_days",
         "mart_practice_class_days", "mart_practice_driver_track_trend"]
CORE = ["tracks", "events", "races", "drivers", "race_results", "laps", "practice_days", "practice_sessions",
        "practice_laps"]
PARAMS = SiteParams(tracks=2, events=3, seed=11, practice_days=2)


@pytest.fixture(scope="module")
def warehouse_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    pages = ((p.url, p.page_type, p.meta, p.items) for p in iter_site(PARAMS))
    sources = item_sources(pages)
    with duckdb.connect(str(path)) as con:
        loaded = ArrowSources(sources).load(con)
        con.register(SETTINGS_SOURCE, BuildSettings().as_arrow())
        run_models(con, with_dependencies(discover_models(SQL_DIR / "models"),
                                          MARTS + ["stg_laps", "stg_drivers", "stg_tracks", "stg_practice_laps"]))
        for name in [*loaded, SETTINGS_SOURCE]:
            con.unregister(name)
    return path


def rows_in(path: Path, table: str) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(f"select count(*) from {table}").fetchall()[0][0]


def test_exports_every_mart_and_core_table_with_documented_columns(warehouse_file, tmp_path, capsys):
    out = tmp_path / "parquet"
    assert main(["export", "parquet", str(out), "--path", str(warehouse_file)]) == 0
    manifest = json.loads((out / "_manifest.json").read_text())
    assert {f["name"] for f in manifest["files"]} == set(MARTS + CORE)
    for f in manifest["files"]:
        table = pq.read_table(out / f["entry"])
        assert table.num_rows == f["rows"]
        assert [c["name"] for c in f["columns"]] == table.column_names  # the docs match the file
    assert pq.read_table(out / "laps.parquet").num_rows == rows_in(warehouse_file, "stg_laps")
    assert pq.read_table(out / "mart_races.parquet").num_rows == rows_in(warehouse_file, "mart_races")


def test_every_lap_carries_event_class_race_round_and_driver_keys(warehouse_file, tmp_path):
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        export_parquet(con, tmp_path / "out", only=["laps"])
        expected = con.sql(
            "select l.race_id, l.driver_id, l.lap_number, l.lap_time, r.event_id, r.class_key, r.round_name, "
            "r.track_slug, year(e.date_start) from stg_laps l join stg_races r using (race_id) "
            "join stg_events e on e.event_id = r.event_id order by all").fetchall()
    path = tmp_path / "out" / "laps.parquet"
    laps = duckdb.sql(
        f"select race_id, driver_id, lap_number, lap_time, event_id, class_key, round_name, track_slug, year "
        f"from '{path}' order by all").fetchall()
    assert laps == expected
    schema = pq.read_schema(path)
    assert str(schema.field("class_key").type) == "string"  # the ENUM used for speed is a plain string


def test_partition_by_track_and_year_writes_hive_folders(warehouse_file, tmp_path):
    out = tmp_path / "parquet"
    assert main(["export", "parquet", str(out), "--path", str(warehouse_file), "--partition-by", "track,year"]) == 0
    assert (out / "laps").is_dir() and (out / "drivers.parquet").is_file()  # drivers have no track/year
    tracks = sorted(p.name for p in (out / "laps").iterdir())
    assert tracks and all(t.startswith("track_slug=") for t in tracks)
    assert all(y.name.startswith("year=") for t in (out / "laps").iterdir() for y in t.iterdir())
    dataset = ds.dataset(out / "laps", format="parquet", partitioning="hive")
    assert dataset.count_rows() == rows_in(warehouse_file, "stg_laps")
    assert main(["export", "parquet", str(out), "--path", str(warehouse_file), "--partition-by", "lap"]) == 2


def test_reexport_replaces_files_drops_stale_entries_and_keeps_user_files(warehouse_file, tmp_path):
    out = tmp_path / "parquet"
    assert main(["export", "parquet", str(out), "--path", str(warehouse_file), "--partition-by", "track"]) == 0
    (out / "my_notes.txt").write_text("mine")
    old_inode = (out / "drivers.parquet").stat().st_ino
    assert main(["export", "parquet", str(out), "--path", str(warehouse_file)]) == 0
    assert not (out / "laps").exists() and (out / "laps.parquet").is_file()  # the partitioned folder went
    assert (out / "drivers.parquet").stat().st_ino != old_inode  # a new file swapped in, not rewritten in place
    assert (out / "my_notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parquet"]  # no temporary folder left beside


def test_a_failed_export_leaves_the_last_good_files(warehouse_file, tmp_path):
    out = tmp_path / "parquet"
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        export_parquet(con, out)
        before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
        broken = tmp_path / "sql"
        (broken / "exports").mkdir(parents=True)
        (broken / "exports" / "laps.sql").write_text("select no_such_column from stg_laps")
        (broken / "exports" / "practice_laps.sql").write_text((SQL_DIR / "exports" / "practice_laps.sql").read_text())
        with pytest.raises(duckdb.Error):
            export_parquet(con, out, sql_dir=broken)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parquet", "sql"]


def _generated_practice_days() -> dict[str, PracticeDay]:
    """The generator's own day overviews (their "Practice Stats" panels are its truth), by practice day."""
    return {f"{item.track_slug}-practice-{item.date.isoformat()}": item
            for page in iter_site(PARAMS) for item in page.items if isinstance(item, PracticeDay)}


def test_practice_laps_of_a_generated_day_read_back_with_duckdb_match_the_days_statistics(warehouse_file, tmp_path):
    out = tmp_path / "parquet"
    assert main(["export", "parquet", str(out), "--path", str(warehouse_file)]) == 0
    days = _generated_practice_days()
    assert len(days) == PARAMS.tracks * PARAMS.practice_days
    laps = out / "practice_laps.parquet"
    for day_id, day in days.items():
        stats = day.stats
        total, drivers, classes, track_time = duckdb.execute(
            f"select count(*), count(distinct driver_key), count(distinct class_name), sum(lap_time) "
            f"from '{laps}' where source_event_id = ?", [day_id]).fetchone()
        assert (total, drivers, classes) == (stats.total_laps, stats.unique_drivers, stats.unique_classes), day_id
        assert abs(track_time - stats.total_track_time_seconds) <= 0.5 + 0.001 * total, day_id
        per_class = dict(duckdb.execute(
            f"select class_name, count(*) from '{laps}' where source_event_id = ? group by 1", [day_id]).fetchall())
        assert per_class == stats.laps_per_class, day_id
        # one row per lap of each session the overview lists, each with its session's track and day
        sessions = {s.session_id: s for s in day.sessions}
        by_session = dict(duckdb.execute(
            f"select session_id, count(*) from '{laps}' where source_event_id = ? and track_slug = ? "
            f"and practice_date = ? group by 1", [day_id, day.track_slug, day.date]).fetchall())
        assert by_session == {sid: s.laps for sid, s in sessions.items()}, day_id
    # every lap has its end time (the generated pages print one per lap), and its session's race row
    assert duckdb.execute(f"select count(*) from '{laps}' where end_local is null").fetchone() == (0,)
    assert duckdb.execute(
        f"select count(*) from '{laps}' l anti join '{out / 'mart_races.parquet'}' m using (race_key)").fetchone() == (0,)
    sessions_file = out / "practice_sessions.parquet"
    assert duckdb.execute(f"select count(*) from '{sessions_file}'").fetchone() == (
        sum(len(d.sessions) for d in days.values()),)
    assert duckdb.execute(f"select count(*) from '{out / 'practice_days.parquet'}'").fetchone() == (len(days),)
