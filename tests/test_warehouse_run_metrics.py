"""``mre warehouse build`` records one mre.run_metrics row: duration, rows, session types by confidence."""

from __future__ import annotations

import duckdb
import psycopg

from mre_crawler.commands.warehouse import build_from_postgres
from tests.test_warehouse_postgres import crawled  # noqa: F401  (the crawled database fixture)


def test_a_build_records_rows_and_low_confidence_session_types(crawled, tmp_path):  # noqa: F811
    target = tmp_path / "warehouse.duckdb"
    assert build_from_postgres(target, crawled, publish_postgres=False)
    with psycopg.connect(crawled) as conn:
        rows = conn.execute("select ok, metrics from mre.run_metrics where kind = 'warehouse-build'").fetchall()
    assert len(rows) == 1
    ok, m = rows[0]
    with duckdb.connect(str(target), read_only=True) as con:
        races, low = con.execute("select count(*), count(*) filter (where session_type_confidence = 'low')"
                                 " from mart_races").fetchone()
    assert ok is True and m["session_types"] == races > 0 and m["low_confidence_session_types"] == low
    assert m["rows_written"] > 0 and m["models"] > 0 and m["duration_s"] > 0
