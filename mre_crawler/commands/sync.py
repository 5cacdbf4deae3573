"""``mre sync``: the one command a cron line or a systemd timer calls.

For every followed track (``mre follow``): its dashboard and events list (fresh), then new events,
events not yet finished and finished events whose pages were incomplete, nothing else; practice
days of the last ``--practice-days`` days for tracks followed with ``--practice`` (recently ingested
days are re-checked for drift); then, only if rows changed, the warehouse build and, when
``--parquet DIR`` or ``MRE_SYNC_PARQUET_DIR`` is set, the Parquet export. Every politeness limit
holds: a track whose daily budget is spent is skipped with the time it resets. One sync runs at a
time: an overlapping one exits at once saying which is running. A sync killed midway is completed
by the next one. It ends with what is new per track.

Exit codes: 0 synced (failed pages, if any, are listed and fetched again next time); 1 nothing
could be synced (every track failed or was skipped, the database was lost, the warehouse build
failed) or another sync is running; 2 bad input; 3 it ran but health alerts fired.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mre_crawler.warehouse_option import add_warehouse_option


def register(sub: argparse._SubParsersAction) -> None:
    from mre_crawler.commands.crawl import _common

    p = sub.add_parser("sync", help="bring every followed track up to date (for cron or a systemd timer)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--practice-days", type=int, default=7, metavar="N",
                   help="practice days of the last N days (tracks followed with --practice; default 7)")
    p.add_argument("--track", action="append", default=[], metavar="SLUG",
                   help="sync only this followed track (repeatable)")
    p.add_argument("--enqueue", action="store_true",
                   help="put every followed track's plan into Redis (MRE_REDIS_URL) for `mre worker` processes, "
                        "crawl nothing here (no practice days, no warehouse build)")
    p.add_argument("--no-build", action="store_true", help="do not build the warehouse, even if rows changed")
    add_warehouse_option(p, help="the DuckDB warehouse to build (default: $MRE_WAREHOUSE_PATH, else warehouse.duckdb in $MRE_HOME)",
                         demo=False)
    p.add_argument("--parquet", type=Path, metavar="DIR",
                   help="after a build, export Parquet here (default: MRE_SYNC_PARQUET_DIR; unset: no export)")
    _common(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os

    from mre_crawler.cli import UsageError
    from mre_crawler.commands.crawl import command_settings, prepare_database
    from mre_crawler.db import DatabaseUnavailable
    from mre_crawler.rollout_lock import WriterBusy
    from mre_crawler.sync.runner import run_sync
    from mre_crawler.sync.summary import exit_code, format_summary
    from mre_crawler.urls import BadURL, check_slug

    if args.practice_days < 0:
        raise UsageError("--practice-days must be 0 or more")
    try:
        only = [check_slug(s) for s in args.track]
    except BadURL as exc:
        raise UsageError(str(exc)) from None
    settings, _config = command_settings(args, "mre sync")
    parquet = args.parquet or (Path(os.environ["MRE_SYNC_PARQUET_DIR"]).expanduser()
                               if os.environ.get("MRE_SYNC_PARQUET_DIR", "").strip() else None)
    tty = sys.stderr.isatty() and not args.json

    def on_track(slug: str, i: int, n: int) -> None:
        if tty or args.verbose:
            print(f"mre sync: [{i + 1}/{n}] {slug}", file=sys.stderr, flush=True)

    if args.enqueue:
        return _enqueue(settings, args, only)
    try:
        from mre_crawler.progress import CrawlProgress
        from mre_crawler.sync import runner

        prepare_database(settings)
        progress = CrawlProgress()
        runner.ON_CRAWLER = progress.watch
        try:
            result = run_sync(settings, practice_days=args.practice_days, only=only or None,
                              build=not args.no_build, parquet_dir=parquet, warehouse=args.warehouse,
                              on_track=on_track)
        finally:
            progress.stop()
            runner.ON_CRAWLER = None
    except (WriterBusy, DatabaseUnavailable) as exc:
        return refused(exc)
    if only:
        followed = {t.slug for t in result.tracks}
        for slug in only:
            if slug not in followed:
                print(f"mre sync: {slug} is not followed (`mre follow {slug}`)", file=sys.stderr)
    if args.json:
        print(json.dumps(result.record() | {"exit_code": exit_code(result)}, default=str, indent=1))
    else:
        print(format_summary(result))
    return exit_code(result)


def refused(exc: Exception) -> int:
    """One line for a sync that could not start (another one runs, no database): exit 1."""
    from mre_crawler.rollout_lock import WriterBusy

    if isinstance(exc, WriterBusy):
        print(f"mre sync: another sync is running ({exc}); nothing done", file=sys.stderr)
    else:
        print(f"mre sync: {exc}", file=sys.stderr)
    return 1


def _enqueue(settings, args: argparse.Namespace, only: list[str]) -> int:  # noqa: ANN001
    from mre_crawler.commands.crawl import prepare_database
    from mre_crawler.db import DatabaseUnavailable
    from mre_crawler.rollout_lock import WriterBusy
    from mre_crawler.sync.enqueue import enqueue_sync

    try:
        prepare_database(settings)
        tracks = enqueue_sync(settings, practice_days=args.practice_days, only=only or None)
    except (WriterBusy, DatabaseUnavailable) as exc:
        return refused(exc)
    except ValueError as exc:
        from mre_crawler.cli import UsageError

        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps([t.record() for t in tracks], default=str, indent=1))
        return 0
    from mre_crawler.workers.enqueue import counted

    for t in tracks:
        print(f"{t.slug}: {counted(t.added, 'start request')} enqueued for `mre worker` "
              f"({counted(t.settled, 'settled event')} skipped)"
              + (f"; {counted(t.practice_added, 'practice start request')}" if t.practice_added else ""))
    if tracks:
        # The first enqueue saw the failure list before it started a new shared crawl (or joined one).
        from mre_crawler.workers.enqueue import Enqueued, failure_report

        first = tracks[0]
        for line in failure_report(Enqueued(0, 0, first.shared_joined, 0, first.shared_failed)):
            print(line)
    if not tracks:
        print("nothing followed: add a track with `mre follow SLUG`")
    else:
        print("when the workers are done: `mre warehouse build` (or a plain `mre sync`, which builds when rows changed)")
    return 0
