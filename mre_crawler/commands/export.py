"""``mre export parquet OUT_DIR [--partition-by track,year]``: the warehouse as Parquet files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mre_crawler.warehouse_option import add_warehouse_option


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export the warehouse (every mart, the core tables, laps) as Parquet")
    esub = p.add_subparsers(dest="export_format", metavar="FORMAT")
    esub.required = True
    pq = esub.add_parser(
        "parquet",
        help="write one Parquet file (or partitioned folder) per mart and core table",
        description="Export every mart and the core tables (tracks, events, races, drivers, race_results, "
        "laps with event/class/race/round/driver keys) from the published warehouse. A re-export replaces "
        "the files atomically; _manifest.json lists each file's rows and columns.",
    )
    pq.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    pq.add_argument("--partition-by", metavar="KEYS",
                    help="track and/or year (e.g. track,year): hive-partitioned folders for every export with those columns")
    add_warehouse_option(pq)
    from mre_crawler.eventlog import add_option

    add_option(pq)
    pq.set_defaults(func=run_parquet)


def run_parquet(args: argparse.Namespace) -> int:
    import duckdb

    from mre_crawler.cli import UsageError
    from warehouse.export import ExportedFile, export_parquet, parse_partition_by
    from mre_crawler.warehouse_option import chosen_warehouse, require_warehouse

    try:
        partition_by = parse_partition_by(args.partition_by)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    path = require_warehouse(chosen_warehouse(args), "mre export parquet")

    def progress(f: ExportedFile) -> None:
        rate = f.rows / f.seconds if f.seconds else 0.0
        print(f"  {f.entry:<40} {f.rows:>12,} rows {f.seconds:7.2f} s {rate:>14,.0f} rows/s")

    with duckdb.connect(str(path), read_only=True) as con:
        report = export_parquet(con, args.out_dir, partition_by=partition_by, progress=progress)
    from mre_crawler.eventlog import emit

    emit("export", format="parquet", out_dir=str(report.out_dir), files=len(report.files), rows=report.rows,
         duration_s=round(report.seconds, 3))
    print(f"exported {len(report.files)} files, {report.rows:,} rows to {report.out_dir} in {report.seconds:.2f} s "
          f"(columns in {report.out_dir / '_manifest.json'})", file=sys.stdout)
    return 0
