"""The warehouse's item-built sources have the shape of the PostgreSQL tables, read from the DDL.

``warehouse.item_sources`` takes its columns and types from the migrations (``warehouse.ddl``),
not from a hand-kept copy; here the migrated PostgreSQL database is read the way a real build
reads it (``PostgresSources``: every column, through ADBC) and compared, table by table, in DuckDB.
"""

from __future__ import annotations

import duckdb
import pytest

from warehouse.ddl import arrow_type, table_columns
from warehouse.item_sources import ITEM_TABLES, item_sources
from warehouse.sources import ArrowSources, PostgresSources


def source_shapes(sources, tables) -> dict[str, list[tuple[str, str]]]:
    con = duckdb.connect()
    sources.load(con)
    return {t: [(r[0], r[1]) for r in con.execute(f'describe "src_{t}"').fetchall()] for t in tables}


@pytest.mark.db
def test_item_sources_have_the_columns_and_types_postgresql_gives_a_build(pg_url):
    from mre_crawler.samplesite import site_items

    from_postgres = source_shapes(PostgresSources(pg_url, schema="mre"), ITEM_TABLES)
    from_items = source_shapes(ArrowSources(item_sources(site_items(tracks=1, events=2, seed=11, practice_days=1))), ITEM_TABLES)
    for table in ITEM_TABLES:
        assert from_items[table] == from_postgres[table], table


@pytest.mark.db
def test_the_ddl_reader_knows_every_table_and_column_postgresql_has(pg_conn):
    rows = pg_conn.execute(
        """SELECT c.table_name, c.column_name FROM information_schema.columns c
           JOIN information_schema.tables t USING (table_schema, table_name)
           WHERE c.table_schema = 'mre' AND t.table_type = 'BASE TABLE'
           ORDER BY c.table_name, c.ordinal_position""").fetchall()
    expected: dict[str, list[str]] = {}
    for table, column in rows:
        if table == "schema_migrations":  # the migration runner's own table (warehouse/migrate.py)
            continue
        expected.setdefault(table, []).append(column)
    assert {t: list(cols) for t, cols in table_columns().items()} == expected


def test_an_unknown_column_type_is_one_clear_error():
    assert str(arrow_type("numeric(8, 3)")) == "double" and str(arrow_type("text[]")) == "list<item: string>"
    with pytest.raises(ValueError, match="no Arrow type for the PostgreSQL type 'tsvector'"):
        arrow_type("tsvector")
