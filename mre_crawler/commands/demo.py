"""``mre demo``: the whole product on a fresh machine, offline, in well under a minute.

Generates a small sample site under MRE_HOME/demo-site (2 tracks, 3 events each, 2 practice days
each; reused by the next run), serves it on a free 127.0.0.1 port and then, as if it were LiveRC:

  1. sample site      generate it (or reuse the previous demo's)
  2. database         embedded PostgreSQL unless MRE_DATABASE_URL is set; migrations applied
  3. results crawl    catalogue, dashboards, events, races, entry lists, points
  4. practice days    every track's practice days (mre practice ingest, ranges of <= 3 months)
  5. warehouse        DuckDB warehouse MRE_HOME/demo/warehouse.duckdb (never your own), checks,
                      marts published to PostgreSQL schema marts (mre warehouse build)
  6. bump-up report   the event with the most bump-ups (mre bumpups), HTML in MRE_HOME/demo/
  7. parquet export   every mart and core table to MRE_HOME/demo/parquet (mre export parquet)

and prints a few small tables, each with the query that produced it. Running it again reuses
the site and the cached pages (MRE_HOME/demo/httpcache) and writes no rows. --quick stops after
the results crawl.
"""

from __future__ import annotations

import argparse
import re
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="the whole pipeline on a generated sample site, offline (about 15 s)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tracks", type=int, default=2, help="sample tracks (1-20; default 2)")
    p.add_argument("--events", type=int, default=3, help="events per track (1-50; default 3)")
    p.add_argument("--seed", type=int, default=2025, help="the sample site's random seed (default 2025)")
    p.add_argument("--quick", action="store_true",
                   help="stop after the results crawl (no practice days, warehouse, bump-ups or Parquet)")
    p.add_argument("--database", default="mre_demo",
                   help="the demo's own database on the same server (default mre_demo); your own data is not touched")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (logs and CI)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from mre_crawler.cli import UsageError
    from mre_crawler.crawl import configure_logging
    from mre_crawler.db import mre_home
    from mre_crawler.demo import Demo, DemoOptions, StageFailed

    if not 1 <= args.tracks <= 20 or not 1 <= args.events <= 50:
        raise UsageError("the demo takes 1-20 tracks and 1-50 events per track")
    configure_logging("ERROR")
    # piped output (a file, CI) gets a wide console so the tables are not squeezed to 80 columns
    console = Console(highlight=False) if sys.stdout.isatty() else Console(width=140, highlight=False)
    options = DemoOptions(tracks=args.tracks, events=args.events, seed=args.seed,
                          progress=not args.no_progress and console.is_terminal, quick=args.quick,
                          database=args.database)
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.database):
        raise UsageError(f"--database takes a plain name (lower-case letters, digits, _), not {args.database!r}")
    try:
        Demo(options, console, mre_home()).run()
    except StageFailed as exc:
        print(f"mre demo: {exc}", file=sys.stderr)
        return 1
    return 0
