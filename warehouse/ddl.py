"""The PostgreSQL tables' shapes read from the migrations (``sql/postgres/*.sql``), with sqlglot.

One source of truth: what the store writes and what hand-made warehouse sources
(:mod:`warehouse.item_sources`) look like both come from the DDL. ``CREATE TABLE`` and
``ALTER TABLE … ADD COLUMN`` / ``DROP COLUMN`` are applied in migration order; everything else
(indexes, views, functions, data) does not change a table's columns.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import sqlglot
from sqlglot import exp

from warehouse.migrate import MIGRATIONS_DIR

SCHEMA = "mre"


@lru_cache(maxsize=4)
def table_columns(directory: Path = MIGRATIONS_DIR, schema: str = SCHEMA) -> dict[str, dict[str, str]]:
    """``{table: {column: PostgreSQL type}}`` of ``schema``'s tables, columns in table order."""
    tables: dict[str, dict[str, str]] = {}
    for path in sorted(Path(directory).glob("*.sql")):
        for stmt in _statements(path):
            if isinstance(stmt, exp.Create) and stmt.kind == "TABLE" and isinstance(stmt.this, exp.Schema):
                table = stmt.this.this
                if table.db == schema:
                    tables[table.name] = {c.name: _type(c) for c in stmt.this.expressions
                                          if isinstance(c, exp.ColumnDef)}
            elif isinstance(stmt, exp.Alter) and stmt.this.db == schema and stmt.this.name in tables:
                columns = tables[stmt.this.name]
                for action in stmt.args.get("actions") or []:
                    if isinstance(action, exp.ColumnDef):
                        columns[action.name] = _type(action)
                    elif isinstance(action, exp.Drop) and action.args.get("kind") == "COLUMN":
                        columns.pop(action.this.name, None)
    return tables


def _statements(path: Path) -> list:
    # A plpgsql function body is beyond sqlglot: it falls back to an opaque command (and says so
    # on its logger); such statements never change a table's columns.
    log = logging.getLogger("sqlglot")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        return [s for s in sqlglot.parse(path.read_text(encoding="utf-8"), read="postgres") if s is not None]
    finally:
        log.setLevel(level)


def _type(column: exp.ColumnDef) -> str:
    kind = column.args.get("kind")
    return kind.sql(dialect="postgres").lower() if kind is not None else "text"


# PostgreSQL type -> the Arrow type a warehouse source holds (as PostgresSources reads it: numeric
# and json are cast to float8 and text there).
_ARROW: dict[str, pa.DataType] = {
    "smallint": pa.int16(), "int": pa.int32(), "integer": pa.int32(), "bigint": pa.int64(),
    "serial": pa.int32(), "bigserial": pa.int64(),
    "real": pa.float32(), "double precision": pa.float64(), "decimal": pa.float64(), "numeric": pa.float64(),
    "text": pa.string(), "varchar": pa.string(), "char": pa.string(), "json": pa.string(), "jsonb": pa.string(),
    "boolean": pa.bool_(), "date": pa.date32(), "bytea": pa.binary(),
    "timestamp": pa.timestamp("us"), "timestamptz": pa.timestamp("us", tz="UTC"),
    "time": pa.time64("us"), "interval": pa.string(), "uuid": pa.string(), "inet": pa.string(),
}


def arrow_type(pg_type: str) -> pa.DataType:
    """The Arrow type for a PostgreSQL column type (``numeric(8, 3)``, ``text[]``, ``timestamptz`` …)."""
    t = pg_type.strip().lower()
    if t.endswith("[]"):
        return pa.list_(arrow_type(t[:-2]))
    base = t.split("(", 1)[0].strip()
    base = {"timestamp with time zone": "timestamptz", "timestamp without time zone": "timestamp",
            "character varying": "varchar", "double": "double precision", "float": "double precision",
            "float8": "double precision", "float4": "real", "int8": "bigint", "int4": "integer", "int2": "smallint",
            "bool": "boolean"}.get(base, base)
    if base not in _ARROW:
        raise ValueError(f"no Arrow type for the PostgreSQL type {pg_type!r} (warehouse/ddl.py)")
    return _ARROW[base]


def arrow_schema(table: str, directory: Path = MIGRATIONS_DIR) -> dict[str, pa.DataType]:
    """``{column: Arrow type}`` of one ``mre`` table, from the DDL."""
    return {c: arrow_type(t) for c, t in table_columns(directory)[table].items()}
