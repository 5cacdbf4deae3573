"""SQL model files: discovery, header reading and dependency order.

A model is one ``SELECT`` in ``sql/models/{staging,intermediate,marts}/<name>.sql``; its table name
is the file stem. Its header comment states the grain twice: for people
(``-- grain: one row per race and driver``) and for the generated checks
(``-- unique: race_id, driver_id``). Inputs are found with sqlglot (DuckDB dialect): every table
the SELECT reads, minus its own CTE names. Order comes from ``graphlib`` (carbonfact/lea does the
same in ``lea/dag.py``).
"""

from __future__ import annotations

import graphlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp

LAYERS = ("staging", "intermediate", "marts")
_HEADER_LINE = re.compile(r"^\s*--\s?(.*)$")
_KEYED = re.compile(r"^(grain|unique|materialized)\s*:\s*(.*)$", re.IGNORECASE)


class ModelError(Exception):
    """A model file that cannot be built: bad header, unparseable SQL, unknown input, cycle."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


@dataclass(frozen=True)
class Model:
    name: str
    layer: str
    path: Path
    sql: str
    inputs: frozenset[str]
    grain: str
    unique_key: tuple[str, ...]
    # "table" (default) or "view": a view holds no rows of its own (``-- materialized: view``);
    # its grain checks are its inputs' (the header must say why its key follows from theirs)
    materialized: str = "table"

    @property
    def is_mart(self) -> bool:
        return self.layer == "marts"


def read_header(sql: str) -> dict[str, str]:
    """The ``key: value`` lines of the leading comment block (``grain``, ``unique``)."""
    found: dict[str, str] = {}
    for line in sql.splitlines():
        if not line.strip():
            continue
        m = _HEADER_LINE.match(line)
        if not m:
            break
        keyed = _KEYED.match(m.group(1).strip())
        if keyed:
            found[keyed.group(1).lower()] = keyed.group(2).strip()
    return found


def input_tables(sql: str, path: Path | str = "<sql>") -> frozenset[str]:
    """Tables a SELECT reads, minus its own CTEs; table functions (``range``, ``read_parquet``) are not tables."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise ModelError(path, f"SQL does not parse: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise ModelError(path, "a model must be exactly one SELECT statement")
    tree = statements[0]
    cte_names = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    tables: set[str] = set()
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue
        name = table.name.lower()
        if table.db:
            name = f"{table.db.lower()}.{name}"
        elif name in cte_names:
            continue
        tables.add(name)
    return frozenset(tables)


def load_model(path: Path, layer: str) -> Model:
    sql = path.read_text(encoding="utf-8")
    header = read_header(sql)
    if not header.get("grain"):
        raise ModelError(path, "header has no '-- grain: one row per ...' line")
    if not header.get("unique"):
        raise ModelError(path, "header has no '-- unique: col, col' line (the grain's key columns)")
    unique_key = tuple(c.strip().lower() for c in header["unique"].split(",") if c.strip())
    materialized = header.get("materialized", "table").lower()
    if materialized not in ("table", "view"):
        raise ModelError(path, f"materialized must be table or view, not {materialized!r}")
    body = sql.strip().rstrip(";")
    return Model(
        name=path.stem.lower(),
        layer=layer,
        path=path,
        sql=body,
        inputs=input_tables(body, path),
        grain=header["grain"],
        unique_key=unique_key,
        materialized=materialized,
    )


def discover_models(models_dir: Path) -> list[Model]:
    """Every ``<layer>/*.sql`` under ``models_dir``; two files with one stem are an error."""
    models: dict[str, Model] = {}
    for layer in LAYERS:
        for path in sorted((models_dir / layer).glob("*.sql")):
            model = load_model(path, layer)
            if model.name in models:
                raise ModelError(path, f"model name {model.name} is also defined by {models[model.name].path}")
            models[model.name] = model
    return list(models.values())


def order_models(models: Iterable[Model], available: Iterable[str]) -> list[Model]:
    """Dependency order. ``available`` are tables that already exist (sources, test fixtures).

    An input that is neither a model nor available, or a cycle, raises :class:`ModelError` naming
    the model file.
    """
    by_name = {m.name: m for m in models}
    known = {a.lower() for a in available}
    graph: dict[str, set[str]] = {}
    for model in by_name.values():
        deps: set[str] = set()
        for table in sorted(model.inputs):
            bare = table.removeprefix("main.")
            if bare in by_name:
                deps.add(bare)
            elif bare not in known and table not in known:
                raise ModelError(model.path, f"reads unknown table {table} (not a model and not a source)")
        graph[model.name] = deps
    sorter = graphlib.TopologicalSorter(graph)
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        files = " -> ".join(str(by_name[n].path) for n in cycle)
        raise ModelError(by_name[cycle[0]].path, f"dependency cycle: {files}") from None
    return [by_name[n] for n in order]
