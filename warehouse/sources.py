"""Sources for a warehouse build: PostgreSQL tables as Arrow, or hand-made tables in tests.

Every source table ``<t>`` is registered in DuckDB as ``src_<t>``; only staging models read
``src_*`` (they rename and cast), everything else reads the staging models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

SOURCE_PREFIX = "src_"
# ADBC has no Arrow type for these; numeric would arrive as a decimal string (the architecture's
# "cast numeric"), the others as opaque binary. Cast in the SELECT instead.
_CASTS = {
    "numeric": "float8",
    "json": "text",
    "jsonb": "text",
    "USER-DEFINED": "text",  # enums and domains
    "interval": "text",
    "inet": "text",
    "uuid": "text",
}
# Bookkeeping tables the warehouse never reads (migrations, crawl queues, raw page bodies).
_SKIP_TABLES = {"schema_migrations"}


@dataclass
class ArrowSources:
    """Hand-made sources: ``{"races": <anything DuckDB can register: Arrow table, relation ...>}``."""

    tables: Mapping[str, Any]

    def load(self, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        counts: dict[str, int] = {}
        for table, data in self.tables.items():
            name = f"{SOURCE_PREFIX}{table}"
            con.register(name, data)
            counts[name] = con.execute(f'select count(*) from "{name}"').fetchall()[0][0]
        return counts


@dataclass
class PostgresSources:
    """Every base table of one PostgreSQL schema, pulled with ADBC as Arrow (COPY binary underneath)."""

    url: str
    schema: str = "public"
    skip: set[str] = field(default_factory=lambda: set(_SKIP_TABLES))
    _keep: list[Any] = field(default_factory=list, repr=False)  # Arrow tables DuckDB scans lazily

    def load(self, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        import adbc_driver_postgresql.dbapi as adbc

        counts: dict[str, int] = {}
        with adbc.connect(self.url) as pg:
            cur = pg.cursor()
            for table, select in self._selects(cur).items():
                cur.execute(select)
                arrow = cur.fetch_arrow_table()
                self._keep.append(arrow)
                name = f"{SOURCE_PREFIX}{table}"
                con.register(name, arrow)
                counts[name] = arrow.num_rows
            cur.close()
        return counts

    def _selects(self, cur: Any) -> dict[str, str]:
        cur.execute(
            "select c.table_name, c.column_name, c.data_type from information_schema.columns c "
            "join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name "
            "where c.table_schema = $1 and t.table_type = 'BASE TABLE' "
            "order by c.table_name, c.ordinal_position",
            (self.schema,),
        )
        columns: dict[str, list[str]] = {}
        for table, column, data_type in cur.fetchall():
            if table in self.skip:
                continue
            quoted = '"' + column.replace('"', '""') + '"'
            cast = _CASTS.get(data_type)
            columns.setdefault(table, []).append(f"{quoted}::{cast} as {quoted}" if cast else quoted)
        schema = '"' + self.schema.replace('"', '""') + '"'
        return {
            table: f'select {", ".join(cols)} from {schema}."{table}"' for table, cols in columns.items()
        }
