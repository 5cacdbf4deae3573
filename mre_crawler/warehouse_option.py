"""The one ``--warehouse PATH`` option of every command that reads or writes the warehouse, and the
one-line refusal when the warehouse a command reads was never built (nothing builds one as a side
effect: an empty warehouse built on the fly only hides that the data is elsewhere)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

WAREHOUSE_HELP = "the warehouse DuckDB file (default: $MRE_WAREHOUSE_PATH, else warehouse.duckdb in $MRE_HOME)"


def add_warehouse_option(parser: argparse.ArgumentParser, help: str = WAREHOUSE_HELP, demo: bool = True) -> None:
    """``--warehouse PATH`` (dest ``warehouse``); the old spelling ``--path`` stays as a hidden alias.
    With ``demo``, also ``--demo``: the demo's warehouse (``$MRE_HOME/demo/warehouse.duckdb``)."""
    parser.add_argument("--warehouse", type=Path, metavar="PATH", dest="warehouse", help=help)
    parser.add_argument("--path", type=Path, dest="warehouse", help=argparse.SUPPRESS)
    if demo:
        parser.add_argument("--demo", action="store_true", dest="demo_warehouse",
                            help="use the demo's warehouse (MRE_HOME/demo/warehouse.duckdb, written by `mre demo`)")


def demo_warehouse() -> Path:
    from mre_crawler.db import mre_home

    return mre_home() / "demo" / "warehouse.duckdb"


def chosen_warehouse(args: argparse.Namespace) -> Path:
    """The path given with ``--warehouse`` (or ``--demo``), else the configured default."""
    from mre_crawler.cli import UsageError
    from warehouse.runner import warehouse_path

    given = getattr(args, "warehouse", None)
    if getattr(args, "demo_warehouse", False):
        if given:
            raise UsageError("give --warehouse PATH or --demo, not both")
        return demo_warehouse()
    return given or warehouse_path()


class NoWarehouse(SystemExit):
    """Raised (exit 1) after printing the one-line message."""


def require_warehouse(path: Path, command: str) -> Path:
    """``path`` when a warehouse file is there; else print one line and exit 1."""
    if not path.exists():
        print(f"{command}: no warehouse at {path}: run `mre warehouse build`", file=sys.stderr)
        raise NoWarehouse(1)
    return path
