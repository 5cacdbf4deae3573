"""`mre worker [--idle-exit SECONDS]`: take work from the shared crawl in Redis (`MRE_REDIS_URL`).

    MRE_REDIS_URL=redis://queue-host:6379/0 MRE_DATABASE_URL=postgresql://… mre worker --idle-exit 60

Any number of workers, on any machines, share one crawl: `mre crawl track SLUG --enqueue` (or
`event … --enqueue`, `mre sync --enqueue`, `mre practice ingest … --enqueue`) puts the start
pages into Redis and the workers do the rest, writing to the one PostgreSQL. A practice day is
done by the worker that takes its overview (its session pages with it), acked when it commits. Politeness holds over all of them: the per-track concurrency through leases
in Redis, the rate ceiling, the daily budget and Retry-After pauses through PostgreSQL.

Without `--idle-exit` a worker runs until stopped (a service); with it, it leaves once the
shared crawl (every worker's queue and claims) has been idle that many seconds. Ctrl-C or
SIGTERM stops it cleanly: requests it had not finished go back on the queue. Killed outright,
its unfinished requests go back ~15 s later, put there by another worker.

Each worker records its own run in `mre.crawl_runs` (spider `worker`) and prints the summary
of its share, ending with the pages it stored (rows committed, then acked) and the pages it
listed failed. A page whose rows the database refused is listed failed (and quarantined), never
acked as stored; one whose batch was cut off by a lost database goes back on the queue. When it leaves an idle shared crawl it also prints the failed pages of the whole
shared crawl: every worker writes a page into Redis as it fails (so a killed worker's failures
are kept) and takes it out when a later store of the page succeeds.

Exit codes: 0 ran (failed pages listed); 1 Redis or the database could not be reached, or every
page this worker took failed; 2 bad setting; 3 its crawl-health checks failed (a page whose rows
the database refused is an ERROR line, so it fails them: not LiveRC's fault, but ours).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import uuid
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("worker", help="take work from a shared crawl in Redis (MRE_REDIS_URL) until idle or stopped",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--idle-exit", type=float, metavar="SECONDS",
                   help="leave once the shared crawl has been idle this long (default: run until stopped)")
    p.add_argument("--site", help="replay server to fetch from instead of LiveRC (http://127.0.0.1:PORT; env MRE_SITE)")
    p.add_argument("--polite", action="store_true", help="keep rate ceiling, budget and AutoThrottle on for a loopback --site")
    p.add_argument("--contact", help="contact for the user agent (env MRE_CONTACT)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the HTTP cache")
    p.add_argument("-s", "--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                   help="any MRE_ or Scrapy setting (repeatable)")
    p.add_argument("-v", "--verbose", action="count", default=0, help="log progress (-vv: debug)")
    p.set_defaults(func=run, cassette=[])


def run(args: argparse.Namespace) -> int:
    from mre_crawler.cli import UsageError
    from mre_crawler.commands.crawl import prepare_database, settings_from_args
    from mre_crawler.config import ConfigError, CrawlConfig
    from mre_crawler.crawl import configure_logging, crawl_outcome, crawl_settings, format_summary, run_crawl
    from mre_crawler.db import DatabaseUnavailable
    from mre_crawler.exitcodes import EXIT_FAILED, EXIT_OK
    from mre_crawler.workers import worker_settings
    from mre_crawler.workers.enqueue import redis_for, shared_failures, shared_keys

    if args.idle_exit is not None and args.idle_exit < 0:
        raise UsageError("--idle-exit must be 0 or more seconds")
    settings = settings_from_args(args)
    try:
        config = CrawlConfig.from_settings(crawl_settings(settings))
        # Practice pages are paced and budgeted with these (read again by the middlewares).
        from mre_crawler.practice.runner import practice_defaults, practice_setting

        practice_defaults(settings)
        practice_setting("MRE_PRACTICE_LOCK_WAIT", settings)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if not config.redis_url:
        raise UsageError("mre worker needs MRE_REDIS_URL (redis://HOST:6379/0): the shared crawl lives there")
    import redis

    server = redis_for(config.redis_url)
    try:
        server.ping()
    except redis.RedisError as exc:
        print(f"mre worker: cannot reach Redis at {_safe(config.redis_url)}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    worker_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    settings.update(worker_settings(config.redis_url, config.redis_prefix, worker_id))
    level = ["WARNING", "INFO", "DEBUG"][min(args.verbose, 2)]
    settings.setdefault("LOG_LEVEL", level)
    configure_logging(level)
    box: dict[str, Any] = {}
    _stop_cleanly_on_signals(box)
    try:
        prepare_database(settings)
        spider_args = {"worker_id": worker_id}
        if args.idle_exit is not None:
            spider_args["idle_exit"] = args.idle_exit
        result = run_crawl("worker", spider_args, settings, on_crawler=lambda c: box.update(crawler=c))
    except DatabaseUnavailable as exc:
        print(f"mre worker: {exc}", file=sys.stderr)
        return EXIT_FAILED
    keys = shared_keys(config.redis_prefix)
    print(format_summary(result).replace("crawl worker:", f"worker {worker_id}:", 1))
    print(f"  claimed       {result.stat('mre/worker/claimed')} requests from the shared queue "
          f"(done {result.stat('mre/worker/acked')}, given back {result.stat('mre/worker/given_back')}, "
          f"recovered from dead workers {result.stat('mre/worker/recovered')})")
    # Its share of the shared crawl: pages done here (rows committed) and pages listed failed.
    print(f"  shared pages  stored {result.stat('mre/worker/stored')} pages, failed {result.stat('mre/worker/failed')}"
          " here")
    if server.llen(keys["queue"]) == 0 and not any(server.hlen(k) for k in server.scan_iter(match=f"{config.redis_prefix}:inflight:*")):
        failed = shared_failures(server, config.redis_prefix)
        print(f"shared crawl idle: {len(failed)} failed pages over all workers" + (":" if failed else ""))
        for url, reason in failed[:50]:
            print(f"    {url}  {reason}")
    code, why = crawl_outcome(result)
    if code == EXIT_FAILED and result.nothing_stored and not result.database_lost and not result.unreachable \
            and result.stat("mre/worker/claimed") == 0:
        code, why = EXIT_OK, None  # an idle worker stored nothing because there was nothing to do
    if why:
        print(f"mre worker: {why}", file=sys.stderr)
    return code


def _safe(url: str) -> str:
    """The Redis URL without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=f"{parts.username or ''}:***@{parts.hostname}:{parts.port or 6379}")
    return urlunsplit(parts)


def _stop_cleanly_on_signals(box: dict[str, Any]) -> None:
    """SIGTERM / Ctrl-C: stop the crawler gracefully (unfinished claims go back on the queue)."""

    def stop(signum, frame):
        crawler = box.get("crawler")
        if crawler is None or box.get("stopping"):
            raise KeyboardInterrupt
        box["stopping"] = True
        from scrapy.utils.defer import deferred_from_coro
        from twisted.internet import reactor

        print("mre worker: stopping; unfinished requests go back on the queue", file=sys.stderr)
        reactor.callFromThread(lambda: deferred_from_coro(crawler.stop_async()))

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
