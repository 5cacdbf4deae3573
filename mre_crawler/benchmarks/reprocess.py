"""``mre bench reprocess``: ``mre reprocess`` over an archive of 5,000+ generated race pages.

The race pages of a generated site (5 tracks x 90 events: about 5,400 race pages) go into a
raw page archive in a temporary folder through the store's own archive path (file, fsync, index
row), as a crawl would leave them; the database is a temporary embedded PostgreSQL (or a fresh
database on ``MRE_BENCH_DATABASE_URL``'s server). Then four runs of the reprocess loop, each
from the selection query to the last commit:

- **first**: an empty store: every page parsed, every row inserted;
- **skip**: run again: every page skipped by its body and parser version, nothing read;
- **digest**: ``--force``: every page parsed again, the items digest equals the stored one,
  0 rows written (what a parser version bump that changes nothing costs);
- **changed**: as an older parser left it (no race length, no laps count per result, parser
  version 0): every page parsed, every page's rows updated.

Targets (issue 13, on this 2-core machine): >= 2,000 race pages/s unchanged, >= 400 changed.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TARGET_UNCHANGED = 2000
TARGET_CHANGED = 400


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reprocess", help="mre reprocess over 5,000+ archived race pages: unchanged and changed",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tracks", type=int, default=5)
    p.add_argument("--events", type=int, default=90, help="events per track (about 12 races each)")
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parser processes (default: one per core)")
    p.add_argument("--profile", metavar="FILE", help="write a cProfile of the main process's runs to FILE")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (site, archive, database)")
    p.set_defaults(func=run)


@dataclass
class Phase:
    name: str
    seconds: float
    pages: int
    parsed: int
    rows: int
    target: int | None

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def archive_site(conn, archive, site: Path, truth: dict) -> int:
    """Every race page of ``site`` into ``archive`` and its index, as a crawl records them."""
    import hashlib

    from mre_crawler.samplesite import read_manifest
    from mre_crawler.store import Store

    races = truth["races"]
    store = Store(conn, batch_size=1, archive=archive)
    n = 0
    for file, url, page_type in read_manifest(site):
        if page_type != "race_result":
            continue
        body = (site / file).read_bytes()
        race_id = url.rsplit("=", 1)[1]
        meta = {"track_slug": races[race_id]["track_slug"], "event_id": races[race_id]["event_id"],
                "race_id": int(race_id)}
        store.record_fetch(url, page_type, 200, hashlib.sha256(body).hexdigest(), len(body), body=body, meta=meta)
        n += 1
        if n % 500 == 0:
            store.flush()
    store.flush()
    return n


def as_an_older_parser_left_it(conn) -> None:
    """Stored rows without two fields an older race parser did not read, and its version 0."""
    conn.execute("UPDATE mre.races SET length_seconds = NULL")
    conn.execute("UPDATE mre.race_results SET laps = NULL")
    conn.execute("UPDATE mre.stored_pages SET parser_version = 0, items_digest = NULL")
    conn.execute("VACUUM ANALYZE")


def run(args: argparse.Namespace) -> int:
    import psycopg
    from rich.console import Console
    from rich.table import Table

    from mre_crawler.archive import PageArchive
    from mre_crawler.benchmarks.crawl import _temporary_database
    from mre_crawler.cli import UsageError
    from mre_crawler.reprocess import reprocess, select_work
    from mre_crawler.samplesite import generate, load_truth
    from warehouse.migrate import migrate

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    console = Console()
    work = Path(tempfile.mkdtemp(prefix="mre-bench-reprocess-"))
    site = work / "site"
    t = time.perf_counter()
    generate(site, tracks=args.tracks, events=args.events, seed=args.seed, practice_days=0)
    truth = load_truth(site)
    console.print(f"generated {truth['pages']['race_result']:,} race pages in {time.perf_counter() - t:.1f} s "
                  f"under {work}")
    db_url, stop_db = _temporary_database(work)
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    phases: list[Phase] = []
    try:
        with psycopg.connect(db_url, autocommit=True) as conn:
            migrate(conn)
            archive = PageArchive(work / "archive")
            t = time.perf_counter()
            n = archive_site(conn, archive, site, truth)
            secs = time.perf_counter() - t
            files, size = archive.disk_usage()
            console.print(f"archived {n:,} race pages in {secs:.1f} s ({n / secs:,.0f} pages/s; "
                          f"{files:,} files, {size / 1e6:,.1f} MB compressed)")
            conn.execute("VACUUM ANALYZE")

            def phase(name: str, force: bool = False, target: int | None = None) -> Phase:
                if profiler:
                    profiler.enable()
                t0 = time.perf_counter()
                items = select_work(conn, page_type="race_result")
                result = reprocess(conn, archive.root, items, jobs=args.jobs, force=force)
                secs = time.perf_counter() - t0
                if profiler:
                    profiler.disable()
                parsed = result.pages - result.count("skipped")
                p = Phase(name, secs, result.pages, parsed, result.counts.changed, target)
                console.print(f"  {name}: {secs:.1f} s, {p.rate:,.0f} pages/s, {p.rows:,} rows")
                return p

            phases.append(phase("first"))
            phases.append(phase("skip", target=TARGET_UNCHANGED))
            phases.append(phase("digest", force=True, target=TARGET_UNCHANGED))
            as_an_older_parser_left_it(conn)
            phases.append(phase("changed", target=TARGET_CHANGED))
    finally:
        stop_db()
        if profiler:
            profiler.dump_stats(args.profile)
            console.print(f"profile written to {args.profile} (python -m pstats {args.profile})")
        if not args.keep:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    table = Table(title=f"mre bench reprocess ({phases[0].pages:,} archived race pages, --jobs {args.jobs}, "
                        f"{os.cpu_count()} cores)")
    for col in ("run", "seconds", "parsed", "race pg/s", "rows", "target", "ratio"):
        table.add_column(col, justify="left" if col == "run" else "right")
    for p in phases:
        table.add_row(p.name, f"{p.seconds:.2f}", f"{p.parsed:,}", f"{p.rate:,.0f}", f"{p.rows:,}",
                      f">= {p.target:,}" if p.target else "", f"{p.rate / p.target:.2f}x" if p.target else "")
    console.print(table)
    first, skip, digest, changed = phases
    ok = skip.rows == 0 and digest.rows == 0 and changed.rows > 0
    if not ok:
        console.print("[red]unexpected: the unchanged runs must write 0 rows, the changed run some[/red]")
    return 0 if ok else 1
