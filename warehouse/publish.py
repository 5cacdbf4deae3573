"""Publish the marts into PostgreSQL's ``marts`` schema in one transaction.

Readers never see a half-loaded schema: the marts are loaded into ``marts_new`` (ADBC ingest,
COPY binary underneath), then ``marts`` is dropped and ``marts_new`` renamed, and only then is the
transaction committed. Any error rolls everything back, leaving the previous ``marts`` as it was.
"""

from __future__ import annotations

import duckdb

from warehouse.models import Model

MARTS_SCHEMA = "marts"
STAGING_SCHEMA = "marts_new"


def publish_marts_to_postgres(
    con: duckdb.DuckDBPyConnection, marts: list[Model], url: str, schema: str = MARTS_SCHEMA
) -> str:
    import adbc_driver_postgresql.dbapi as adbc

    staging = f"{schema}_new"
    rows = 0
    with adbc.connect(url) as pg:
        cur = pg.cursor()
        try:
            cur.execute(f'drop schema if exists "{staging}" cascade')
            cur.execute(f'create schema "{staging}"')
            for mart in marts:
                arrow = con.sql(f'select * from "{mart.name}"').to_arrow_table()
                rows += cur.adbc_ingest(mart.name, arrow, mode="create", db_schema_name=staging)
            cur.execute(f'drop schema if exists "{schema}" cascade')
            cur.execute(f'alter schema "{staging}" rename to "{schema}"')
            pg.commit()
        except BaseException:
            pg.rollback()
            raise
        finally:
            cur.close()
    return f"{len(marts)} marts, {rows} rows into PostgreSQL schema {schema}"
