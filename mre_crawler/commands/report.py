"""``mre report OUT_DIR [--warehouse PATH]``: write a static, offline HTML site from the warehouse.

It reads the published warehouse DuckDB file (``--warehouse``, else ``$MRE_WAREHOUSE_PATH``, else
``warehouse.duckdb`` in ``$MRE_HOME``) and never builds one: a missing warehouse is one line and
exit 1. Open ``OUT_DIR/index.html`` in a browser; nothing is fetched.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write an offline HTML site (tracks, events, results, mains ladders, drivers, practice days)",
        description="Write a static HTML site into OUT_DIR from the warehouse: tracks, events and their race "
        "results with bump-ups marked, each class's mains ladder as a chart, triple-main standings, driver "
        "pages and practice days. Open OUT_DIR/index.html; it needs no server or internet.",
    )
    p.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="the folder to write (created if missing)")
    from mre_crawler.warehouse_option import add_warehouse_option

    add_warehouse_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import duckdb

    from mre_crawler.report import build_report
    from mre_crawler.warehouse_option import chosen_warehouse

    path: Path = chosen_warehouse(args)
    if not path.exists():
        print(f"no warehouse at {path}: run `mre warehouse build`", file=sys.stderr)
        return 1
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        print(f"mre report: cannot open {path}: {exc}", file=sys.stderr)
        return 1
    try:
        summary = build_report(con, args.out_dir)
    except duckdb.CatalogException as exc:
        print(f"mre report: {path} lacks a mart the report reads (rebuild it with mre warehouse build): {exc}",
              file=sys.stderr)
        return 1
    finally:
        con.close()
    print(f"wrote {summary.pages} pages ({summary.events} events, {summary.drivers} drivers, "
          f"{summary.practice_days} practice days) into {summary.out_dir}; open {summary.out_dir / 'index.html'}")
    return 0
