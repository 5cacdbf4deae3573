"""The DuckDB model runner: build every model in order, check, and only then publish.

``build_warehouse`` is the whole job behind ``mre warehouse build``:

1. open a fresh DuckDB file beside the configured path (never the live file);
2. load the sources (PostgreSQL tables as Arrow, or hand-made tables in tests) as ``src_<table>``;
3. ``CREATE TABLE <model> AS <select>`` for every model in dependency order, stopping at the first
   failure with its file and DuckDB's message;
4. run ``sql/checks/*.sql`` (each must return no rows) and the grain checks generated from each
   model's ``-- unique:`` header (unique and not null);
5. only when all passed: ``os.replace`` the new file over the configured path and (optionally)
   publish the marts to PostgreSQL. Any failure deletes the new file and leaves the last good
   warehouse, file and PostgreSQL marts, untouched.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb

from warehouse.models import Model, ModelError, discover_models, order_models
from warehouse.settings import SETTINGS_SOURCE, BuildSettings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = PROJECT_ROOT / "sql"
OFFENDING_ROWS_SHOWN = 5


class BuildFailed(Exception):
    """A model or check failed; ``what`` names it and ``path`` is its file."""

    def __init__(self, kind: str, what: str, path: Path | None, message: str):
        self.kind = kind  # "model" | "check" | "source" | "publish"
        self.what = what
        self.path = path
        self.message = message
        where = f" ({path})" if path else ""
        super().__init__(f"{kind} {what}{where} failed: {message}")


@dataclass
class ModelRun:
    name: str
    layer: str
    rows: int
    seconds: float


@dataclass
class CheckRun:
    name: str
    path: Path | None  # None for generated grain checks
    offending_rows: int
    sample: list[tuple] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    warning: bool = False  # a `-- severity: warning` check: rows are reported, the build goes on

    @property
    def passed(self) -> bool:
        return self.offending_rows == 0


@dataclass
class BuildReport:
    path: Path | None = None
    models: list[ModelRun] = field(default_factory=list)
    checks: list[CheckRun] = field(default_factory=list)
    source_rows: dict[str, int] = field(default_factory=dict)
    published_file: bool = False
    published_postgres: str | None = None  # a summary line, when published
    seconds: float = 0.0


class SourceLoader(Protocol):
    """Puts source tables into a DuckDB connection; returns their names and row counts."""

    def load(self, con: duckdb.DuckDBPyConnection) -> dict[str, int]: ...


Progress = Callable[[object], None]


def _noop(_: object) -> None:
    return None


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------
def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = current_schema()"
    ).fetchall()
    return {r[0].lower() for r in rows}


def select_models(models: list[Model], names: Iterable[str] | None) -> list[Model]:
    if names is None:
        return models
    wanted = {n.lower() for n in names}
    missing = wanted - {m.name for m in models}
    if missing:
        raise ModelError("sql/models", f"no such model: {', '.join(sorted(missing))}")
    return [m for m in models if m.name in wanted]


def run_models(
    con: duckdb.DuckDBPyConnection,
    models: list[Model],
    progress: Progress = _noop,
) -> list[ModelRun]:
    """Build ``models`` (any subset; their other inputs must already exist) in dependency order."""
    ordered = order_models(models, existing_tables(con))
    runs: list[ModelRun] = []
    for model in ordered:
        started = time.perf_counter()
        try:
            _drop_relation(con, model.name)
            kind = "view" if model.materialized == "view" else "table"
            con.execute(f'create {kind} "{model.name}" as {model.sql}')
            rows = con.execute(f'select count(*) from "{model.name}"').fetchall()[0][0]
        except duckdb.Error as exc:
            raise BuildFailed("model", model.name, model.path, str(exc).strip()) from None
        run = ModelRun(model.name, model.layer, rows, time.perf_counter() - started)
        runs.append(run)
        progress(run)
    return runs


def _drop_relation(con: duckdb.DuckDBPyConnection, name: str) -> None:
    found = con.execute("select table_type from information_schema.tables where table_schema = current_schema() "
                        "and table_name = ?", [name]).fetchall()
    if found:
        con.execute(f'drop {"view" if found[0][0] == "VIEW" else "table"} "{name}"')


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------
def grain_check_sql(model: Model) -> list[tuple[str, str]]:
    """Generated checks for a model's ``-- unique:`` key: no duplicate key, no NULL key column."""
    key = ", ".join(f'"{c}"' for c in model.unique_key)
    nulls = " or ".join(f'"{c}" is null' for c in model.unique_key)
    return [
        (
            f"{model.name}.unique({', '.join(model.unique_key)})",
            f'select {key}, count(*) as copies from "{model.name}" group by {key} having count(*) > 1',
        ),
        (
            f"{model.name}.not_null({', '.join(model.unique_key)})",
            f'select * from "{model.name}" where {nulls}',
        ),
    ]


def _run_check(con: duckdb.DuckDBPyConnection, name: str, path: Path | None, sql: str) -> CheckRun:
    try:
        rel = con.sql(f"select * from ({sql}) as offending limit {OFFENDING_ROWS_SHOWN}")
        columns = list(rel.columns)
        sample = rel.fetchall()
        count = len(sample)
        if count == OFFENDING_ROWS_SHOWN:
            count = con.execute(f"select count(*) from ({sql}) as offending").fetchall()[0][0]
    except duckdb.Error as exc:
        raise BuildFailed("check", name, path, str(exc).strip()) from None
    return CheckRun(name, path, count, sample, columns)


def run_checks(
    con: duckdb.DuckDBPyConnection,
    models: list[Model],
    checks_dir: Path | None,
    progress: Progress = _noop,
) -> list[CheckRun]:
    """Run every check; all are run (so the report lists every failure), none raise on rows found."""
    runs: list[CheckRun] = []
    for model in models:
        if model.materialized == "view":
            continue  # no rows of its own: its inputs' grain checks cover it (see the model's header)
        for name, sql in grain_check_sql(model):
            runs.append(_run_check(con, name, None, sql))
            progress(runs[-1])
    if checks_dir is not None and checks_dir.is_dir():
        for path in sorted(checks_dir.glob("*.sql")):
            sql = path.read_text(encoding="utf-8").strip().rstrip(";")
            runs.append(_run_check(con, path.stem, path, sql))
            runs[-1].warning = sql.lower().startswith("-- severity: warning")
            progress(runs[-1])
    return runs


def first_failed_check(checks: list[CheckRun]) -> BuildFailed | None:
    failed = [c for c in checks if not c.passed and not c.warning]
    if not failed:
        return None
    c = failed[0]
    shown = "; ".join(str(dict(zip(c.columns, row))) for row in c.sample)
    more = f" ({len(failed) - 1} more checks failed)" if len(failed) > 1 else ""
    return BuildFailed("check", c.name, c.path, f"{c.offending_rows} offending rows, e.g. {shown}{more}")


# ---------------------------------------------------------------------------------------------
# The whole build
# ---------------------------------------------------------------------------------------------
def warehouse_path() -> Path:
    """``MRE_WAREHOUSE_PATH``, else ``warehouse.duckdb`` in MRE's data directory (``MRE_HOME``)."""
    configured = os.environ.get("MRE_WAREHOUSE_PATH", "").strip()
    if configured:
        return Path(configured).expanduser()
    from mre_crawler.db import mre_home

    return mre_home() / "warehouse.duckdb"


def _remove_db_file(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def build_warehouse(
    path: Path,
    sources: SourceLoader,
    *,
    sql_dir: Path = SQL_DIR,
    publish: Callable[[duckdb.DuckDBPyConnection, list[Model]], str] | None = None,
    progress: Progress = _noop,
    settings: BuildSettings | None = None,
) -> BuildReport:
    """Build into a fresh file, check, then publish: ``os.replace`` over ``path`` and ``publish``.

    ``publish`` (e.g. :func:`warehouse.publish.publish_marts_to_postgres`) runs after the file is
    complete and checked, while it is still private; if it fails the new file is discarded and the
    old warehouse stays. Raises :class:`BuildFailed` or :class:`ModelError` on failure.
    """
    started = time.perf_counter()
    settings = settings or BuildSettings.from_env()  # a bad value fails before any work
    report = BuildReport(path=path)
    models = discover_models(sql_dir / "models")
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(f".{path.name}.building-{os.getpid()}")
    _remove_db_file(building)
    con = duckdb.connect(str(building))
    ok = False
    try:
        try:
            report.source_rows = sources.load(con)
        except Exception as exc:  # any driver error: name it and keep the old warehouse
            raise BuildFailed("source", type(sources).__name__, None, f"{type(exc).__name__}: {exc}") from exc
        if SETTINGS_SOURCE not in report.source_rows:
            con.register(SETTINGS_SOURCE, settings.as_arrow())
            report.source_rows[SETTINGS_SOURCE] = 1
        report.models = run_models(con, models, progress)
        report.checks = run_checks(con, models, sql_dir / "checks", progress)
        failure = first_failed_check(report.checks)
        if failure:
            raise failure
        if publish is not None:
            try:
                report.published_postgres = publish(con, [m for m in models if m.is_mart])
            except BuildFailed:
                raise
            except Exception as exc:
                raise BuildFailed("publish", "postgres marts", None, f"{type(exc).__name__}: {exc}") from exc
        _drop_sources(con, report.source_rows)
        con.execute("checkpoint")
        con.close()
        os.replace(building, path)
        report.published_file = True
        ok = True
    finally:
        if not ok:
            with contextlib.suppress(Exception):
                con.close()
            _remove_db_file(building)
    report.seconds = time.perf_counter() - started
    return report


def _drop_sources(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> None:
    """Registered Arrow sources are views over Python memory; they cannot live in the file."""
    for name in names:
        with contextlib.suppress(duckdb.Error):
            con.unregister(name)


def with_dependencies(models: list[Model], targets: Iterable[str]) -> list[Model]:
    """``targets`` and every model they read, directly or not (to build part of the project)."""
    by_name = {m.name: m for m in models}
    wanted: set[str] = set()
    stack = [t.lower() for t in targets]
    while stack:
        name = stack.pop()
        if name in wanted:
            continue
        if name not in by_name:
            raise ModelError("sql/models", f"no such model: {name}")
        wanted.add(name)
        stack.extend(i.removeprefix("main.") for i in by_name[name].inputs if i.removeprefix("main.") in by_name)
    return [m for m in models if m.name in wanted]
