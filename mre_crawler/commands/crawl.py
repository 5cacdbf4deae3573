"""``mre crawl catalogue|track|event …``: crawl LiveRC into PostgreSQL, then print a summary.

    mre crawl event https://canberraoffroad.liverc.com/results/?p=view_event&id=486677
    mre crawl event --track canberraoffroad --id 486677
    mre crawl track canberraoffroad --since 2025-01-01 --until 2025-03-31
    mre crawl catalogue [--follow] [--tracks a,b] [--limit N]
    mre crawl limits SLUG [--rate PER_MINUTE] [--budget PER_DAY]   # show/set (lower) a track's limits

Every crawl command takes ``--site http://127.0.0.1:PORT`` (or ``MRE_SITE``) to read from a replay
server, ``--cassette FILE`` to replay betamax cassettes, and ``--polite`` to keep the rate ceiling,
budget and AutoThrottle on for a loopback site. Migrations are applied first.

Exit codes: 0 the crawl ran and is healthy (failed pages, if any, are listed: partial results are
results); 1 nothing could be stored (every page failed, budget spent), LiveRC could not be reached
(no DNS, connection refused; one line: ``mre crawl: cannot reach HOST: REASON``), or the database is
unreachable or was lost mid-crawl; 2 bad input (malformed URL, unknown track, reversed date range),
with one line; 3 the crawl ran but its crawl-health checks failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from typing import Any

from mre_crawler.urls import BadURL, check_slug, read_url


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("crawl", help="crawl LiveRC tracks and events into PostgreSQL",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    crawl_sub = p.add_subparsers(dest="target", metavar="TARGET")
    crawl_sub.required = True

    ev = crawl_sub.add_parser("event", help="one event: event page, races, entry list, points")
    ev.add_argument("url", nargs="?", help="the event's LiveRC URL (…/results/?p=view_event&id=N)")
    ev.add_argument("--track", help="track slug (with --id, instead of a URL)")
    ev.add_argument("--id", dest="event_id", help="event id (with --track)")
    _common(ev)
    _enqueue_option(ev)
    ev.set_defaults(func=run_event)

    tr = crawl_sub.add_parser("track", help="a track's dashboard and events list, then its events")
    tr.add_argument("slug", help="track slug, as in https://SLUG.liverc.com/")
    tr.add_argument("--since", type=_date, help="first event date to crawl (YYYY-MM-DD)")
    tr.add_argument("--until", type=_date, help="last event date to crawl (YYYY-MM-DD)")
    tr.add_argument("--no-events", action="store_true", help="dashboard and events list only")
    _common(tr)
    _enqueue_option(tr)
    tr.set_defaults(func=run_track)

    ca = crawl_sub.add_parser("catalogue", help="every track listed at https://live.liverc.com/")
    ca.add_argument("--follow", action="store_true", help="also fetch each listed track's dashboard")
    ca.add_argument("--tracks", default="", help="with --follow: only these slugs (comma-separated)")
    ca.add_argument("--limit", type=int, help="with --follow: at most this many dashboards")
    _common(ca)
    _enqueue_option(ca)
    ca.set_defaults(func=run_catalogue)

    li = crawl_sub.add_parser("limits", help="show or set a track's rate ceiling and daily budget")
    li.add_argument("slug")
    li.add_argument("--rate", type=float, help="requests per minute for this track")
    li.add_argument("--budget", type=int, help="requests per UTC day for this track")
    li.add_argument("--above-default", action="store_true",
                    help="allow a rate or budget above the default (only with LiveRC's consent; a warning is printed)")
    li.set_defaults(func=run_limits)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--site", help="replay server to fetch from instead of LiveRC (http://127.0.0.1:PORT; env MRE_SITE)")
    p.add_argument("--cassette", action="append", default=[], help="replay this betamax cassette (repeatable)")
    p.add_argument("--polite", action="store_true", help="keep rate ceiling, budget and AutoThrottle on for a loopback --site")
    p.add_argument("--contact", help="contact for the user agent (env MRE_CONTACT)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the HTTP cache")
    p.add_argument("-s", "--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                   help="any Scrapy or MRE_ setting (repeatable)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("-v", "--verbose", action="count", default=0, help="log progress (-vv: debug)")
    from mre_crawler.eventlog import add_option

    add_option(p)


def _enqueue_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--enqueue", action="store_true",
                   help="put the start pages into the shared crawl in Redis (MRE_REDIS_URL) for `mre worker` "
                        "processes, instead of crawling here; lists the failed pages of the shared crawl it "
                        "joins (or of the last one, which it clears): exit 0, as partial results are results")


def enqueue(spider: str, spider_args: dict[str, Any], args: argparse.Namespace) -> int:
    """``--enqueue``: the start requests go to Redis; the workers crawl (and report) the rest."""
    from mre_crawler.workers.enqueue import enqueue_start

    return report_enqueue("mre crawl", lambda: enqueue_start(spider, spider_args, settings_from_args(args)))


def report_enqueue(command: str, put: Callable[[], Any]) -> int:
    """Run an enqueue (``put()`` returns its :class:`~mre_crawler.workers.enqueue.Enqueued`) and
    print what it did and the failed pages of the shared crawl it joined or ended."""
    from mre_crawler.cli import UsageError
    from mre_crawler.workers.enqueue import counted, failure_report

    try:
        done = put()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - redis.ConnectionError and friends: one line
        import redis

        if not isinstance(exc, redis.RedisError):
            raise
        print(f"{command}: cannot reach Redis: {exc}", file=sys.stderr)
        return 1
    print(f"enqueued {counted(done.added, 'start request')} for `mre worker`"
          + (f" ({done.already_seen} already seen by the shared crawl in progress)" if done.already_seen else "")
          + (", joining the shared crawl in progress" if done.joined else ", a new shared crawl")
          + f"; {counted(done.queued, 'request')} waiting")
    for line in failure_report(done):
        print(line)
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


def settings_from_args(args: argparse.Namespace) -> dict[str, Any]:
    from mre_crawler.cli import UsageError

    settings: dict[str, Any] = {}
    for pair in args.settings:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"-s wants NAME=VALUE, not {pair!r}")
        settings[name.strip()] = value
    if args.site:
        settings["MRE_SITE"] = args.site
    if args.cassette:
        settings["MRE_CASSETTE"] = ",".join(args.cassette)
    if args.polite:
        settings["MRE_POLITE"] = "1"
    if args.contact:
        settings["MRE_CONTACT"] = args.contact
    if args.no_cache:
        settings["MRE_CACHE_ENABLED"] = "0"
    return settings


def prepare_database(settings: dict[str, Any]) -> str:
    """Connect (starting the embedded server if needed) and apply migrations; return the URL."""
    from mre_crawler.db import connect, database_url
    from warehouse.migrate import migrate

    url = settings.get("MRE_DATABASE_URL") or database_url()
    with connect(url, autocommit=True) as conn:
        migrate(conn)
    settings["MRE_DATABASE_URL"] = url
    return url


def command_settings(args: argparse.Namespace, command: str) -> tuple[dict[str, Any], Any]:
    """The settings a crawling command's options give (validated: a bad one is bad input), its
    logging set up from ``-v``, and the note when no contact goes into the user agent."""
    from mre_crawler.cli import UsageError
    from mre_crawler.config import ConfigError, CrawlConfig
    from mre_crawler.crawl import configure_logging, crawl_settings

    settings = settings_from_args(args)
    try:
        config = CrawlConfig.from_settings(crawl_settings(settings))
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    level = ["WARNING", "INFO", "DEBUG"][min(args.verbose, 2)]
    settings.setdefault("LOG_LEVEL", level)
    configure_logging(level)
    if not config.offline and not config.contact:
        print(f"{command}: note: no contact in the user agent; set MRE_CONTACT (email or URL) so LiveRC "
              "can reach you about your crawler", file=sys.stderr)
    return settings, config


def execute(spider: str, spider_args: dict[str, Any], args: argparse.Namespace) -> int:
    from mre_crawler.cli import UsageError

    if getattr(args, "enqueue", False):
        return enqueue(spider, spider_args, args)
    from mre_crawler.crawl import crawl_outcome, format_summary, run_crawl
    from mre_crawler.db import DatabaseUnavailable

    settings, _config = command_settings(args, "mre crawl")
    try:
        from mre_crawler.progress import CrawlProgress

        prepare_database(settings)
        progress = CrawlProgress()
        try:
            result = run_crawl(spider, spider_args, settings, on_crawler=progress.watch)
        finally:
            progress.stop()
    except DatabaseUnavailable as exc:
        print(f"mre crawl: {exc}", file=sys.stderr)
        return 1
    if result.bad_input:
        raise UsageError(result.bad_input)
    if result.unreachable and result.nothing_stored and not args.json:
        # No network (or LiveRC down): one line, the summary would only repeat it per page.
        print(unreachable_line("mre crawl", result.unreachable), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(summary_record(result), default=str, indent=1))
    else:
        print(format_summary(result))
    code, why = crawl_outcome(result)
    if why:
        print(f"mre crawl: {why}", file=sys.stderr)
    return code


def unreachable_line(command: str, unreachable: dict[str, str]) -> str:
    """``mre crawl: cannot reach HOST: REASON`` (hosts joined when several were unreachable)."""
    from mre_crawler.crawl import unreachable_text

    return f"{command}: {unreachable_text(unreachable)}"


def summary_record(result) -> dict[str, Any]:
    return {
        "spider": result.spider, "args": result.args, "finish_reason": result.stats.get("finish_reason"),
        "requests": result.requests, "cache_hits": result.cache_hits, "retries": result.retries,
        "budget_used": result.budget_used, "pages_parsed": result.pages_parsed, "items_stored": result.items,
        "rows_written": result.rows_written, "quarantined": result.quarantined,
        "failed_pages": [{"url": u, "reason": r} for u, r in result.failures],
        "budget_spent": result.budget_spent, "health_failed": result.health_failed,
        "paused": {t: {"seconds": sec, "why": why} for t, (sec, why) in result.paused.items()},
        "unreachable": result.unreachable,
    }


def run_event(args: argparse.Namespace) -> int:
    from mre_crawler.cli import UsageError

    if args.url and (args.track or args.event_id):
        raise UsageError("give the event URL, or --track and --id, not both")
    if args.url:
        try:
            page = read_url(args.url)
        except BadURL as exc:
            raise UsageError(str(exc)) from None
        if page.page_type != "event":
            raise UsageError(f"not an event URL (…/results/?p=view_event&id=N): {args.url}")
        spider_args = {"url": args.url}
    elif args.track and args.event_id:
        try:
            check_slug(args.track)
        except BadURL as exc:
            raise UsageError(str(exc)) from None
        if not str(args.event_id).isdigit():
            raise UsageError(f"--id must be a number, not {args.event_id!r}")
        spider_args = {"track": args.track, "event_id": args.event_id}
    else:
        raise UsageError("give the event URL, or --track SLUG --id N")
    return execute("event", spider_args, args)


def run_track(args: argparse.Namespace) -> int:
    from mre_crawler.cli import UsageError

    try:
        slug = check_slug(args.slug)
    except BadURL as exc:
        raise UsageError(str(exc)) from None
    if args.since and args.until and args.since > args.until:
        raise UsageError(f"--since {args.since} is after --until {args.until}")
    spider_args: dict[str, Any] = {"track": slug}
    if args.since:
        spider_args["since"] = args.since.isoformat()
    if args.until:
        spider_args["until"] = args.until.isoformat()
    if args.no_events:
        spider_args["events"] = "0"
    return execute("track", spider_args, args)


def run_catalogue(args: argparse.Namespace) -> int:
    from mre_crawler.cli import UsageError

    try:
        for slug in filter(None, (s.strip() for s in args.tracks.split(","))):
            check_slug(slug)
    except BadURL as exc:
        raise UsageError(str(exc)) from None
    if args.limit is not None and args.limit < 0:
        raise UsageError("--limit must be 0 or more")
    spider_args: dict[str, Any] = {"follow": "1" if args.follow else "0", "tracks": args.tracks}
    if args.limit is not None:
        spider_args["limit"] = str(args.limit)
    return execute("catalogue", spider_args, args)


def run_limits(args: argparse.Namespace) -> int:
    from mre_crawler.cli import UsageError
    from mre_crawler.config import CrawlConfig
    from mre_crawler.crawl import crawl_settings
    from mre_crawler.db import DatabaseUnavailable, connect
    from mre_crawler.middlewares.politeness import PolitenessLedger, utc_today

    try:
        slug = check_slug(args.slug)
    except BadURL as exc:
        raise UsageError(str(exc)) from None
    if args.rate is not None and args.rate <= 0:
        raise UsageError("--rate must be above 0")
    if args.budget is not None and args.budget <= 0:
        raise UsageError("--budget must be above 0")
    config = CrawlConfig.from_settings(crawl_settings())
    # Limits protect LiveRC: lowering them is always fine, raising one above the default is a
    # deliberate act (the README asks never to raise them to crawl faster).
    raised = []
    if args.rate is not None and args.rate > config.rate_per_minute:
        raised.append(f"rate {args.rate:g}/min is above the default {config.rate_per_minute:g}/min")
    if args.budget is not None and args.budget > config.daily_budget:
        raised.append(f"budget {args.budget} is above the default {config.daily_budget}/day")
    if raised and not args.above_default:
        raise UsageError("; ".join(raised) + ": lower limits are always accepted; to raise one, add --above-default")
    for line in raised:
        print(f"mre crawl: warning: {line} for {slug}; please crawl LiveRC gently", file=sys.stderr)
    settings: dict[str, Any] = {}
    try:
        prepare_database(settings)
        with connect(settings["MRE_DATABASE_URL"], autocommit=True) as conn:
            ledger = PolitenessLedger(conn)
            rate, budget = ledger.limits(slug)
            if args.rate is not None or args.budget is not None:
                rate = args.rate if args.rate is not None else rate
                budget = args.budget if args.budget is not None else budget
                ledger.set_limits(slug, rate, budget)
            status = ledger.budget_status(slug, utc_today(), budget or config.daily_budget)
    except DatabaseUnavailable as exc:
        print(f"mre crawl: {exc}", file=sys.stderr)
        return 1
    print(f"{slug}: rate ceiling {rate or config.rate_per_minute:g}/min{'' if rate else ' (default)'}, "
          f"daily budget {budget or config.daily_budget}{'' if budget else ' (default)'}; "
          f"today {status.used} used, {status.remaining} left, resets {status.resets_at:%Y-%m-%d %H:%M} UTC")
    return 0
