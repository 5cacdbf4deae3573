"""``mre reprocess``: re-parse archived pages with today's parsers and store what changed, with no network.

Reads the raw page archive (every fetched body, kept once: ``MRE_ARCHIVE_DIR``), re-parses the
latest body of each matching page in ``--jobs`` worker processes and stores the differences in
batches. Pages whose stored rows were built from the same body by the same parser version are
skipped; pages that parse to the same items write nothing; quarantined pages that now parse are
stored and their quarantine entries resolved. A second run writes 0 rows. Pages are stored
``MRE_STORE_BATCH_PAGES`` to a transaction, as a crawl stores them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys


def register(sub: argparse._SubParsersAction) -> None:
    from mre_crawler.urls import PAGE_TYPES

    p = sub.add_parser("reprocess", help="re-parse archived pages with today's parsers, store what changed (no network)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--track", metavar="SLUG", help="only this track's pages")
    p.add_argument("--event", metavar="ID", type=int, help="only this event's pages (event, races, entry list, points)")
    p.add_argument("--page-type", choices=PAGE_TYPES, metavar="T", help=f"only this page type ({', '.join(PAGE_TYPES)})")
    p.add_argument("--since", metavar="DATE", help="only bodies first fetched on or after this day (YYYY-MM-DD)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parser processes (default: one per core)")
    p.add_argument("--force", action="store_true",
                   help="re-parse also pages whose body and parser version built the stored rows")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mre_crawler.archive import archive_for
    from mre_crawler.cli import UsageError
    from mre_crawler.config import CrawlConfig, env_settings
    from mre_crawler.db import connect, database_url
    from mre_crawler.reprocess import reprocess, select_work
    from warehouse.migrate import migrate

    since = None
    if args.since:
        try:
            since = dt.datetime.combine(dt.date.fromisoformat(args.since), dt.time(), dt.timezone.utc)
        except ValueError:
            raise UsageError(f"--since must be a YYYY-MM-DD date, not {args.since!r}") from None
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    config = CrawlConfig.from_settings(env_settings())
    archive = archive_for(config)
    if archive is None:
        raise UsageError("MRE_ARCHIVE_ENABLED is off: there is no archive to re-parse")
    conn = connect(database_url(), autocommit=True)
    with conn:
        migrate(conn)
        work = select_work(conn, track=args.track, event_id=args.event, page_type=args.page_type, since=since)
        with progress_bar(len(work), sys.stderr.isatty()) as advance:
            result = reprocess(conn, archive.root, work, jobs=args.jobs, force=args.force,
                               batch_pages=config.store_batch_pages, progress=advance)
    print(format_summary(result))
    return 0


class progress_bar:
    """A rich progress bar over pages on a terminal; a no-op callback otherwise."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.bar = total, enabled, None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("reprocess"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=Console(stderr=True), transient=True)
        self.bar.start()
        task = self.bar.add_task("pages", total=self.total)
        return lambda n: self.bar.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def format_summary(result) -> str:
    rate = result.pages / result.seconds if result.seconds else 0.0
    k = result.count
    lines = [
        f"reprocessed {result.pages:,} pages in {result.seconds:.1f} s ({rate:,.0f} pages/s), no network: "
        f"{k('skipped'):,} skipped (same body and parser version), {k('unchanged'):,} parsed to the stored items, "
        f"{k('write'):,} stored; {result.quarantine_resolved:,} quarantine entries resolved",
    ]
    problems = [(k(kind), label) for kind, label in (
        ("unreadable", "still unreadable (kept in quarantine)"), ("missing", "bodies missing from the archive"),
        ("unsupported", "pages of types the store has no tables for"), ("empty", "pages without items"))]
    if any(n for n, _ in problems):
        lines.append("; ".join(f"{n:,} {label}" for n, label in problems if n))
    c = result.counts
    lines.append(f"rows: {c.inserted:,} inserted, {c.updated:,} updated, {c.removed:,} removed, "
                 f"{c.quarantined:,} quarantined")
    if c.by_table:
        width = max(len(t) for t in c.by_table)
        lines.append(f"  {'table':<{width}}  {'inserted':>9} {'updated':>9} {'removed':>9}")
        for table, (i, u, r) in sorted(c.by_table.items()):
            if i or u or r:
                lines.append(f"  {table:<{width}}  {i:>9,} {u:>9,} {r:>9,}")
    return "\n".join(lines)
