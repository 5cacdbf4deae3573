"""``mre practice discover|ingest|drift|retry|archive``: a track's practice days.

    mre practice discover --track SLUG --from 2025-10-01 --to 2025-12-31 [--sessions] [--json]
    mre practice ingest   --track SLUG --date 2025-10-25            (or --from/--to)   [--enqueue]
    mre practice drift    --track SLUG [--from A --to B] [--refresh]    [--enqueue]
    mre practice retry    --track SLUG [--from A --to B]                [--enqueue]
    mre practice archive  --older-than 6m [--track SLUG] [--wait]   |   --restore [--track SLUG] [--wait]

Ranges are explicit and at most 3 months (longer or reversed ranges are refused, exit 2). Every
fetching command takes ``--site``/``--polite``/``--no-cache``/``-s`` like ``mre crawl``.

Exit codes: 0 the run finished (failed pages, if any, are listed: partial results are results);
1 nothing could be read (every page failed, budget spent before anything), LiveRC could not be
reached (one line: ``mre practice: cannot reach HOST: REASON``) or the database is unreachable;
2 bad input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from mre_crawler.cli import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    from mre_crawler.commands.crawl import _common

    p = sub.add_parser("practice", help="practice days: discover, ingest, drift, retry, archive",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    psub = p.add_subparsers(dest="practice_command", metavar="ACTION")
    psub.required = True
    helps = {
        "discover": "list a track's practice days in a range (month views + day overviews)",
        "ingest": "store practice days: sessions, laps, statistics (one transaction per day)",
        "drift": "compare stored days with LiveRC; mark vanished sessions removed",
        "retry": "fetch again the session pages that failed",
    }
    for name, text in helps.items():
        q = psub.add_parser(name, help=text)
        q.add_argument("--track", required=True, help="track slug, as in https://SLUG.liverc.com/")
        q.add_argument("--from", dest="date_from", help="first day (YYYY-MM-DD)")
        q.add_argument("--to", dest="date_to", help="last day (YYYY-MM-DD); at most 3 months after --from")
        if name in ("discover", "ingest"):
            q.add_argument("--date", help="one day (YYYY-MM-DD), instead of --from/--to")
        if name == "discover":
            q.add_argument("--sessions", action="store_true", help="also list each day's sessions")
        if name == "drift":
            q.add_argument("--refresh", action="store_true", help="also ingest the sessions LiveRC has that we do not")
        if name in ("ingest", "drift", "retry"):
            from mre_crawler.commands.crawl import _enqueue_option

            _enqueue_option(q)
        else:
            # Only to refuse it in one line (exit 2): a discovery's day table is the command's own report.
            q.add_argument("--enqueue", action="store_true", help=argparse.SUPPRESS)
        _common(q)  # --site --cassette --polite --contact --no-cache -s --json -v
        q.set_defaults(func=run_command)
    a = psub.add_parser("archive", help="move old practice days out of the hot tables (reversible)")
    a.add_argument("--older-than", help="age like 6m, 30d, 8w, 1y: days before today minus this")
    a.add_argument("--restore", action="store_true", help="move archived days back")
    a.add_argument("--track", help="only this track")
    a.add_argument("--json", action="store_true")
    a.add_argument("--wait", action="store_true", help="wait for a running archive/restore instead of exiting 1")
    a.set_defaults(func=run_archive)


def run_command(args: argparse.Namespace) -> int:
    from mre_crawler.commands.crawl import prepare_database, settings_from_args, unreachable_line
    from mre_crawler.config import ConfigError, CrawlConfig
    from mre_crawler.crawl import configure_logging, crawl_settings
    from mre_crawler.db import DatabaseUnavailable
    from mre_crawler.practice.ranges import RangeError, day_range
    from mre_crawler.practice.runner import run_practice
    from mre_crawler.urls import BadURL, check_slug

    mode = args.practice_command
    try:
        slug = check_slug(args.track)
        rng = day_range(args.date_from, args.date_to, getattr(args, "date", None),
                        required=mode in ("discover", "ingest"))
    except (RangeError, BadURL) as exc:
        raise UsageError(str(exc)) from None
    if mode == "discover" and args.enqueue:
        raise UsageError("discover has no --enqueue: its day table is this command's own report, so it runs "
                         "here (run it without --enqueue; `mre practice ingest … --enqueue` shares the work)")
    settings = settings_from_args(args)
    try:
        CrawlConfig.from_settings(crawl_settings(settings))
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    level = ["WARNING", "INFO", "DEBUG"][min(args.verbose, 2)]
    settings.setdefault("LOG_LEVEL", level)
    configure_logging(level)
    single = getattr(args, "date", None) is not None
    if getattr(args, "enqueue", False):
        return _enqueue(mode, slug, rng, single, settings, refresh=getattr(args, "refresh", False))
    try:
        prepare_database(settings)
        with _progress(enabled=not args.json and sys.stderr.isatty()) as progress:
            run = run_practice(mode, slug, settings,
                               date=rng.first if single and rng else None,
                               date_from=rng.first if rng and not single else None,
                               date_to=rng.last if rng and not single else None,
                               refresh=getattr(args, "refresh", False), progress=progress)
    except DatabaseUnavailable as exc:
        print(f"mre practice: {exc}", file=sys.stderr)
        return 1
    if run.result.bad_input:
        raise UsageError(run.result.bad_input)
    unreachable = run.result.unreachable
    read_nothing = not run.report.outcomes and all(d.overview is None for d in run.report.discovered)
    if unreachable and read_nothing and not args.json:
        # No network (or LiveRC down): one line, as ``mre crawl`` does.
        print(unreachable_line("mre practice", unreachable), file=sys.stderr)
        return 1
    sessions = getattr(args, "sessions", False)
    if args.json:
        print(json.dumps(run_record(run, sessions), default=str, indent=1))
    else:
        print(format_run(run, sessions))
    from mre_crawler.crawl import crawl_outcome
    from mre_crawler.exitcodes import EXIT_FAILED

    if run.result.database_lost or unreachable:
        code, why = crawl_outcome(run.result)
        print(f"mre practice: {why}", file=sys.stderr)
        return code
    nothing = not run.report.discovered and not run.report.outcomes and run.metrics["requests"] > 0
    if run.budget_resets_at and not run.report.outcomes and not run.report.discovered:
        return EXIT_FAILED
    if nothing and run.failures:
        return EXIT_FAILED
    code, why = crawl_outcome(run.result)
    if why and code != EXIT_FAILED:
        print(f"mre practice: {why}", file=sys.stderr)
        return code
    return 0


def _enqueue(mode: str, slug: str, rng, single: bool, settings: dict[str, Any], refresh: bool = False) -> int:  # noqa: ANN001
    """``mre practice ingest|drift|retry … --enqueue``: the work as one practice job in the shared
    crawl, for `mre worker` processes to do. ingest: the range's first month view, or the day's
    overview; drift: the overview of each stored day of the range; either with the track's
    dashboard first when it was never read. retry: one claim per day of the retry log, carried by
    the day's overview."""
    from mre_crawler.commands.crawl import prepare_database, report_enqueue
    from mre_crawler.db import DatabaseUnavailable, connect
    from mre_crawler.practice.ingest import PracticeDB
    from mre_crawler.practice.runner import shared_job
    from mre_crawler.workers.enqueue import enqueue_practice

    options = {"single_day": single} if mode == "ingest" else {"refresh": refresh} if mode == "drift" else {}
    job = shared_job(slug, mode, rng, settings, **options)
    try:
        prepare_database(settings)
        with connect(settings["MRE_DATABASE_URL"], autocommit=True) as conn:
            known = PracticeDB(conn).track(slug)[2]
            return report_enqueue("mre practice", lambda: enqueue_practice([job], known, settings, conn))
    except DatabaseUnavailable as exc:
        print(f"mre practice: {exc}", file=sys.stderr)
        return 1


class _progress:
    """A rich progress bar over practice days on a terminal; a no-op callback otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.task = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("practice days"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            transient=True)
        self.bar.start()
        self.task = self.bar.add_task("days", total=None)
        return self.update

    def update(self, done: int, planned: int) -> None:
        self.bar.update(self.task, completed=done, total=planned or None)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def run_record(run, sessions: bool = False) -> dict[str, Any]:
    return {
        "command": run.mode, "track": run.track_slug, "run_id": run.run_id,
        "finish_reason": run.result.stats.get("finish_reason"),
        "days": [d.as_json(sessions) for d in sorted(run.report.discovered, key=lambda d: d.date)],
        "outcomes": [o.as_json() for o in sorted(run.report.outcomes, key=lambda o: o.date)],
        "metrics": run.metrics,
        "budget_resets_at": run.budget_resets_at,
        "failures": [{"url": u, "reason": r} for u, r in run.failures],
        "unreachable": run.result.unreachable,
        "retry_logged": sorted(sid for o in run.report.outcomes for sid in o.details_failed),
    }


def format_run(run, sessions: bool = False) -> str:
    from mre_crawler.practice.drift import format_outcomes

    lines: list[str] = []
    if run.report.discovered:
        lines.append(_days_table(run, sessions))
    if run.report.outcomes:
        lines.extend(format_outcomes(run.report.outcomes))
    m = run.metrics
    lines.append(f"practice {run.mode} {run.track_slug}: {run.result.stats.get('finish_reason', '?')} (run {run.run_id})")
    lines.append(f"  requests {m['requests']} (cache hits {m['cache_hits']}, misses {m['cache_misses']}); "
                 f"rate-limit waits {m['rate_limit_waits']}; retry waits {m['retry_after_waits']}; "
                 f"retries {m['retries']}; budget used {m['budget_used']}"
                 + (f" (today {m['budget_today']})" if m["budget_today"] else ""))
    for track, (seconds, why) in sorted(run.result.paused.items()):
        lines.append(f"  paused {track} {seconds:.0f} s" + (f" ({why})" if why else ""))
    if run.budget_resets_at:
        lines.append(f"  budget spent: practice requests for {run.track_slug} stopped cleanly; the budget resets at "
                     f"{run.budget_resets_at} (run the command again then to continue)")
    elif m["budget_today"]:
        used, _, budget = str(m["budget_today"]).partition("/")
        if budget and int(used) >= 0.9 * int(budget):
            lines.append(f"  warning: practice budget for {run.track_slug} nearly spent ({used} of {budget} today)")
    if run.failures:
        lines.append(f"  failed pages {len(run.failures)}:")
        for url, reason in run.failures[:50]:
            lines.append(f"    {url}  {reason}")
        if len(run.failures) > 50:
            lines.append(f"    ... and {len(run.failures) - 50} more")
    return "\n".join(lines)


def _days_table(run, sessions: bool) -> str:
    from io import StringIO

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"practice days at {run.track_slug}")
    for col in ("date", "sessions", "laps", "track time", "drivers", "classes", "first start", "last end"):
        table.add_column(col)
    for d in sorted(run.report.discovered, key=lambda d: d.date):
        s = d.summary
        secs = s.get("total_track_time_seconds")
        table.add_row(d.date.isoformat(), str(s.get("session_count", d.month_session_count or "?")),
                      str(s.get("total_laps", "")), _hms(secs) if secs is not None else "",
                      str(s.get("unique_drivers", "")), str(s.get("unique_classes", "")),
                      (s.get("first_session_start") or "")[11:], (s.get("last_session_end") or "")[11:19]
                      + (" (+1 day)" if (s.get("last_session_end") or "")[:10] > d.date.isoformat() else "")
                      if s else d.overview_error or "")
        if sessions and d.overview is not None:
            for x in sorted(d.overview.sessions, key=lambda x: x.start_local or dt.datetime.min):
                table.add_row("", f"#{x.session_id}", str(x.laps), _hms(x.length_seconds or 0), x.driver_name,
                              x.class_name, x.start_local.time().isoformat() if x.start_local else "",
                              f"tx {x.transponder}")
    out = StringIO()
    Console(file=out, width=120, force_terminal=False).print(table)
    return out.getvalue().rstrip()


def _hms(seconds: float) -> str:
    s = int(round(float(seconds)))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _known_track(conn, slug: str) -> bool:  # noqa: ANN001
    return conn.execute(
        "SELECT EXISTS (SELECT 1 FROM mre.tracks WHERE slug = %(s)s) "
        "OR EXISTS (SELECT 1 FROM mre.practice_days WHERE track_slug = %(s)s) "
        "OR EXISTS (SELECT 1 FROM mre_archive.practice_days WHERE track_slug = %(s)s)", {"s": slug}).fetchone()[0]


def run_archive(args: argparse.Namespace) -> int:
    from mre_crawler.db import DatabaseUnavailable, connect, database_url
    from mre_crawler.practice.archive import archive_days, restore_days
    from mre_crawler.practice.ranges import RangeError, older_than_cutoff
    from mre_crawler.urls import BadURL, check_slug
    from warehouse.migrate import migrate

    if bool(args.older_than) == bool(args.restore):
        raise UsageError("give --older-than AGE (e.g. 6m) to archive, or --restore to move days back")
    try:
        slug = check_slug(args.track) if args.track else None
        cutoff = older_than_cutoff(args.older_than) if args.older_than else None
    except (RangeError, BadURL) as exc:
        raise UsageError(str(exc)) from None
    from mre_crawler.rollout_lock import WriterBusy, acquire, release
    from warehouse.session_types import current_user

    what = "a practice restore" if args.restore else f"a practice archive (before {cutoff})"
    try:
        with connect(database_url(), autocommit=True) as conn:
            migrate(conn)
            if slug and not _known_track(conn, slug):
                raise UsageError(f"unknown track {slug!r}: no track, practice day or archived day has that slug")
            try:
                acquire(conn, "practice-archive", what, current_user(), wait=args.wait,
                        on_wait=lambda who: print(f"waiting: {who}", file=sys.stderr))
            except WriterBusy as exc:
                print(f"mre practice: {exc}; try again later or add --wait", file=sys.stderr)
                return 1
            try:
                moved = restore_days(conn, track=slug) if args.restore else archive_days(conn, cutoff, track=slug)
            finally:
                release(conn, "practice-archive")
    except DatabaseUnavailable as exc:
        print(f"mre practice: {exc}", file=sys.stderr)
        return 1
    verb = "restored" if args.restore else "archived"
    if args.json:
        print(json.dumps({verb: moved, "before": cutoff.isoformat() if cutoff else None}))
    else:
        print(f"{verb} {len(moved)} practice days" + (f" (before {cutoff})" if cutoff else ""))
        for key in moved:
            print(f"  {key}")
    return 0
