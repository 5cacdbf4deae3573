"""``mre crawl … --enqueue``: put a crawl's start requests into the shared queue, crawl nothing here.

A shared crawl lasts from the first enqueue onto an idle queue until the queue is idle again
(nothing queued, nothing claimed by any worker). Its duplicate filter and its list of failed
pages last as long: enqueueing onto an idle queue starts a new shared crawl (the seen set and the
failure list are cleared, so tonight's crawl fetches what last night's saw); enqueueing while
workers are busy joins the crawl in progress, and pages it already has are not asked for twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Enqueued:
    added: int
    already_seen: int
    joined: bool  # a shared crawl was in progress (its seen set kept)
    queued: int  # requests waiting in the queue afterwards
    # Failed pages of the shared crawl in progress (joined), or of the last one (which a new
    # shared crawl clears): (URL, reason).
    failed: tuple[tuple[str, str], ...] = ()


def counted(n: int, word: str) -> str:
    """"1 start request", "2 start requests", "0 failed pages"."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def shared_keys(prefix: str) -> dict[str, str]:
    return {"queue": f"{prefix}:queue", "seen": f"{prefix}:seen", "failed": f"{prefix}:failed"}


def shared_failures(server, prefix: str) -> list[tuple[str, str]]:
    """The shared crawl's failed pages, (URL, reason) sorted by URL: every worker writes a page
    into ``P:failed`` as it fails (a killed worker's are there too) and takes it out when a later
    store of it commits."""
    key = shared_keys(prefix)["failed"]
    if server.type(key) not in (b"hash", "hash"):
        return []  # none, or a list an older version left (cleared with the next shared crawl)
    out = []
    for url, value in server.hgetall(key).items():
        url = url.decode() if isinstance(url, bytes) else url
        value = value.decode() if isinstance(value, bytes) else value
        out.append((url, value.split("\t", 1)[0]))
    return sorted(out)


def failure_report(done: Enqueued, most: int = 50) -> list[str]:
    """Lines for an enqueue's summary: the failed pages of the shared crawl it joined, or of the
    last shared crawl (before this enqueue started a new one)."""
    if not done.failed:
        return []
    which = "the shared crawl in progress has" if done.joined else "the last shared crawl left"
    lines = [f"{which} {counted(len(done.failed), 'failed page')}:"]
    lines += [f"    {url}  {reason}" for url, reason in done.failed[:most]]
    if len(done.failed) > most:
        lines.append(f"    … and {len(done.failed) - most} more")
    return lines


def redis_for(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=10, socket_timeout=30)


def enqueue_start(spider_name: str, spider_args: Mapping[str, Any], settings: Mapping[str, Any] | None = None) -> Enqueued:
    """Serialise spider ``spider_name``'s ``start()`` requests into the shared queue."""
    from scrapy.spiderloader import SpiderLoader

    from mre_crawler.crawl import crawl_settings

    full = crawl_settings(settings)
    spider = SpiderLoader.from_settings(full).load(spider_name)(**dict(spider_args))

    async def collect() -> list:
        return [r async for r in spider.start()]

    return enqueue_requests(spider, lambda: asyncio.run(collect()), settings)


def enqueue_requests(spider, make_requests: Callable[[], Iterable[Any]], settings: Mapping[str, Any] | None = None) -> Enqueued:
    """Put the requests ``make_requests()`` returns into the shared queue (serialised with
    ``spider``'s callbacks): those the shared crawl has not seen yet, or that ask not to be filtered."""
    from scrapy_redis.dupefilter import RFPDupeFilter

    from mre_crawler.config import CrawlConfig
    from mre_crawler.crawl import crawl_settings
    from mre_crawler.workers.queue import ClaimQueue

    config = CrawlConfig.from_settings(crawl_settings(settings))
    if not config.redis_url:
        raise ValueError("--enqueue needs MRE_REDIS_URL (redis://HOST:6379/0)")
    server = redis_for(config.redis_url)
    keys = shared_keys(config.redis_prefix)
    queue = ClaimQueue(server, spider, keys["queue"])
    joined = not (len(queue) == 0 and queue.in_flight_anywhere() == 0)
    failed = tuple(shared_failures(server, config.redis_prefix))
    if not joined:
        # A new shared crawl: its seen set, its failures and its practice jobs' month bookkeeping.
        practice = list(server.scan_iter(match=f"{config.redis_prefix}:practice:*", count=100))
        server.delete(keys["seen"], keys["failed"], *practice)
    seen = RFPDupeFilter(server, keys["seen"])

    added = dup = 0
    for request in make_requests():
        if not request.dont_filter and seen.request_seen(request):
            dup += 1
        else:
            queue.push(request)
            added += 1
    return Enqueued(added, dup, joined, len(queue), failed)


def enqueue_practice(jobs: Iterable[Any], track_known: bool, settings: Mapping[str, Any] | None = None,
                     conn: Any = None) -> Enqueued:
    """Practice jobs (:class:`~mre_crawler.practice.job.PracticeJob`) into the shared queue.

    - ingest: each job's first month view (or its day's overview), or, for a track whose
      dashboard was never read, the dashboard first (its time zone is needed before any practice
      time is stored; the worker that reads it asks for the month views). The dashboard is asked
      for even when the track's own crawl asks for it too: the practice job's requests follow from it;
    - drift: the overview of every stored day of the range (read from ``conn``, as an in-process
      drift reads them at its start), or the dashboard first, as for ingest;
    - retry: one request per day with open retry-log rows (``conn``): the day's overview, which
      carries the day's claim; the worker that takes it fetches the day's session pages.

    Drift and retry requests are never filtered as seen: they ask for a page again on purpose."""
    from spiders.practice import retry_days, stored_days
    from spiders.worker import WorkerSpider

    spider = WorkerSpider()
    jobs = list(jobs)

    def requests() -> list:
        out = []
        for job in jobs:
            if job.mode == "retry":
                out += [spider.retry_day_request(job, day) for day, _sids in retry_days(conn, job)]
            elif not track_known:
                out.append(spider.dashboard_request(job).replace(dont_filter=True))
            elif job.mode == "drift":
                out += [spider.day_request(job, day, None).replace(dont_filter=True) for day in stored_days(conn, job)]
            else:
                out += list(spider.first_requests(job))
        return out

    return enqueue_requests(spider, requests, settings)
