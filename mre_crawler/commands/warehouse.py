"""``mre warehouse build [--warehouse PATH] [--no-publish-postgres]``: build, check and publish the DuckDB warehouse."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mre_crawler.warehouse_option import add_warehouse_option

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
    add_warehouse_option(
        b, help="the DuckDB file to publish (default: $MRE_WAREHOUSE_PATH, else warehouse.duckdb in $MRE_HOME)", demo=False)
    b.add_argument(
        "--no-publish-postgres",
        action="store_true",
        help="publish only the DuckDB file, not the marts schema in PostgreSQL",
    )
    from mre_crawler.eventlog import add_option

    add_option(b)
    b.set_defaults(func=run_build)


def run_build(args: argparse.Namespace) -> int:
    from mre_crawler.cli import UsageError
    from mre_crawler.db import DatabaseUnavailable, database_url
    from warehouse.runner import warehouse_path
    from warehouse.settings import BuildSettings, SettingError

    path: Path = args.warehouse or warehouse_path()
    try:
        settings = BuildSettings.from_env()
    except SettingError as exc:
        raise UsageError(str(exc)) from None
    try:
        url = database_url()
    except DatabaseUnavailable as exc:
        print(f"mre warehouse build: {exc}", file=sys.stderr)
        return 1
    return 0 if build_from_postgres(path, url, publish_postgres=not args.no_publish_postgres, settings=settings) else 1


def build_from_postgres(path: Path, url: str, *, publish_postgres: bool = True, settings=None) -> bool:  # noqa: ANN001
    """The whole ``mre warehouse build`` with its printed report; True when published.

    Also used by commands that read the published warehouse and build it when it is missing
    (``mre session-type list``, ``mre export parquet``)."""
    from mre_crawler.db import redact
    from warehouse.models import ModelError
    from warehouse.publish import publish_marts_to_postgres
    from warehouse.runner import BuildFailed, CheckRun, ModelRun, build_warehouse
    from warehouse.sources import PostgresSources

    print(f"sources: PostgreSQL {redact(url)} schema {SOURCE_SCHEMA}")
    # The models read every table of the current schema: bring a database that was never crawled
    # (or crawled by an older MRE) up to date first, as crawls do.
    from mre_crawler.db import connect
    from warehouse.migrate import migrate

    with connect(url, autocommit=True) as conn:
        applied = migrate(conn)
    if applied:
        print(f"migrations applied first: {', '.join(applied)}")

    def progress(event: object) -> None:
        if isinstance(event, ModelRun):
            print(f"  model {event.layer:<12} {event.name:<40} {event.rows:>12,} rows {event.seconds:8.2f} s")
        elif isinstance(event, CheckRun) and not event.passed and event.warning:
            print(f"  check {event.name:<53} WARNING: {event.offending_rows} rows")
            for row in event.sample:
                print("    warning: " + ", ".join(f"{k}={v}" for k, v in zip(event.columns, row)), file=sys.stderr)
        elif isinstance(event, CheckRun) and not event.passed:
            print(f"  check {event.name:<53} FAILED: {event.offending_rows} offending rows")

    def publish_to_postgres(con, marts):  # closure over the database URL
        return publish_marts_to_postgres(con, marts, url)

    publish = publish_to_postgres if publish_postgres else None

    import time
    from datetime import datetime, timezone

    started, t0 = datetime.now(timezone.utc), time.monotonic()
    try:
        report = build_warehouse(path, PostgresSources(url, schema=SOURCE_SCHEMA), publish=publish,
                                 progress=progress, settings=settings)
    except (BuildFailed, ModelError) as exc:
        _record_build(url, started, time.monotonic() - t0, None, path, ok=False)
        print(f"mre warehouse build: FAILED: {exc}", file=sys.stderr)
        print(f"the last good warehouse at {path} was left untouched", file=sys.stderr)
        return False
    passed = sum(c.passed for c in report.checks)
    warned = sum(not c.passed and c.warning for c in report.checks)
    print(f"checks: {passed}/{len(report.checks)} passed" + (f", {warned} with warnings" if warned else ""))
    print(f"published: {path}")
    print(f"published: {report.published_postgres or 'PostgreSQL marts skipped (--no-publish-postgres)'}")
    print(f"built {len(report.models)} models in {report.seconds:.2f} s")
    _record_build(url, started, report.seconds, report, path, ok=True)
    return True


def _record_build(url: str, started, seconds: float, report, path: Path, *, ok: bool) -> None:  # noqa: ANN001
    """One ``mre.run_metrics`` row for the build (duration, rows, session types by confidence)."""
    from datetime import datetime, timezone

    from mre_crawler import run_metrics
    from mre_crawler.db import connect
    from mre_crawler.eventlog import emit

    metrics: dict = {"duration_s": round(seconds, 3)}
    if report is not None:
        metrics["models"] = len(report.models)
        metrics["rows_written"] = sum(m.rows for m in report.models)
        try:
            import duckdb

            with duckdb.connect(str(path), read_only=True) as con:
                by = dict(con.execute("select coalesce(session_type_confidence, 'none'), count(*)"
                                      " from mart_races group by 1").fetchall())
            metrics["session_types"] = sum(by.values())
            metrics["low_confidence_session_types"] = by.get("low", 0)
            metrics["session_types_by_confidence"] = by
        except Exception as exc:  # an older mart without the column: no confidence counts
            print(f"mre warehouse build: note: no session-type confidence counts ({exc})", file=sys.stderr)
        emit("session_types", **{k: metrics.get(k) for k in ("session_types", "low_confidence_session_types")},
             by_confidence=metrics.get("session_types_by_confidence"))
    emit("warehouse_build", ok=ok, warehouse=str(path), models=metrics.get("models"),
         rows_written=metrics.get("rows_written"), duration_s=metrics["duration_s"])
    try:
        with connect(url, autocommit=True) as conn:
            run_metrics.record(conn, "warehouse-build", started_at=started,
                               finished_at=datetime.now(timezone.utc), ok=ok, metrics=metrics)
    except Exception as exc:  # metrics never fail a build that ran
        print(f"mre warehouse build: could not store its run metrics: {exc}", file=sys.stderr)


def ensure_warehouse(path: Path, url: str, command: str) -> None:
    """Build the warehouse when its file is missing, saying so on stderr; raise SystemExit(1) if that fails."""
    if path.exists():
        return
    print(f"{command}: no warehouse at {path}; building it first (mre warehouse build)", file=sys.stderr)
    import contextlib

    with contextlib.redirect_stdout(sys.stderr):
        ok = build_from_postgres(path, url)
    if not ok:
        raise SystemExit(1)
