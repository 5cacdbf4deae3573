"""``mre warehouse build [--path P] [--no-publish-postgres]``: build, check and publish the DuckDB warehouse."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# The PostgreSQL schema holding the crawled record (sql/postgres/0001_core.sql).
SOURCE_SCHEMA = "mre"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "warehouse",
        help="build the DuckDB warehouse from PostgreSQL (models, checks, publish)",
        description="Build the DuckDB warehouse: pull the PostgreSQL tables as Arrow, run "
        "sql/models in dependency order, run sql/checks and the grain checks, and only when all "
        "passed replace the warehouse file and the PostgreSQL 'marts' schema.",
    )
    wsub = p.add_subparsers(dest="warehouse_command", metavar="ACTION")
    wsub.required = True
    b = wsub.add_parser("build", help="build, check and publish the warehouse")
    b.add_argument(
        "--path",
        type=Path,
        help="the DuckDB file to publish (default: $MRE_WAREHOUSE_PATH, else warehouse.duckdb in $MRE_HOME)",
    )
    b.add_argument(
        "--no-publish-postgres",
        action="store_true",
        help="publish only the DuckDB file, not the marts schema in PostgreSQL",
    )
    b.set_defaults(func=run_build)


def run_build(args: argparse.Namespace) -> int:
    from mre_crawler.db import DatabaseUnavailable, database_url, redact
    from warehouse.models import ModelError
    from warehouse.publish import publish_marts_to_postgres
    from warehouse.runner import BuildFailed, CheckRun, ModelRun, build_warehouse, warehouse_path
    from warehouse.sources import PostgresSources

    path: Path = args.path or warehouse_path()
    try:
        url = database_url()
    except DatabaseUnavailable as exc:
        print(f"mre warehouse build: {exc}", file=sys.stderr)
        return 1
    print(f"sources: PostgreSQL {redact(url)} schema {SOURCE_SCHEMA}")

    def progress(event: object) -> None:
        if isinstance(event, ModelRun):
            print(f"  model {event.layer:<12} {event.name:<40} {event.rows:>12,} rows {event.seconds:8.2f} s")
        elif isinstance(event, CheckRun) and not event.passed:
            print(f"  check {event.name:<53} FAILED: {event.offending_rows} offending rows")

    publish = None
    if not args.no_publish_postgres:
        def publish(con, marts):  # noqa: ANN001, E306 - closure over url
            return publish_marts_to_postgres(con, marts, url)

    try:
        report = build_warehouse(path, PostgresSources(url, schema=SOURCE_SCHEMA), publish=publish, progress=progress)
    except (BuildFailed, ModelError) as exc:
        print(f"mre warehouse build: FAILED: {exc}", file=sys.stderr)
        print(f"the last good warehouse at {path} was left untouched", file=sys.stderr)
        return 1
    passed = sum(c.passed for c in report.checks)
    print(f"checks: {passed}/{len(report.checks)} passed")
    print(f"published: {path}")
    print(f"published: {report.published_postgres or 'PostgreSQL marts skipped (--no-publish-postgres)'}")
    print(f"built {len(report.models)} models in {report.seconds:.2f} s")
    return 0
