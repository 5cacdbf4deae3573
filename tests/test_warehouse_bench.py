"""`mre bench warehouse` code path at a tiny size (timings are printed, never asserted)."""

from __future__ import annotations

import duckdb

from mre_crawler.benchmarks.warehouse import LAPS_PER_DRIVER, generate_sources
from mre_crawler.cli import main


def test_synthetic_sources_have_the_asked_laps_and_realistic_session_types():
    con = duckdb.connect()
    counts = generate_sources(con, 24_000)
    assert counts["src_laps"] == 24_000
    assert counts["src_race_results"] * LAPS_PER_DRIVER == counts["src_laps"]
    from warehouse.models import discover_models
    from warehouse.runner import SQL_DIR, run_models, with_dependencies

    run_models(con, with_dependencies(discover_models(SQL_DIR / "models"), ["mart_race_session_types"]))
    assert con.sql("select race_source, session_type, confidence, count(*) from mart_race_session_types"
                   " group by all order by all").fetchall() == [
        ("practice", "practiceday", "high", counts["src_practice_sessions"]),
        ("race", "qualifying", "high", 80), ("race", "race", "high", 40)]


def test_bench_warehouse_prints_a_table_per_size(capsys):
    assert main(["bench", "warehouse", "--base-laps", "2400", "--scales", "1,2"]) == 0
    out = capsys.readouterr().out
    assert "export rows/s" in out and "1x" in out and "2x" in out
