"""The yardstick of ``mre bench crawl``: a bare Scrapy spider fetching the crawl's own URLs.

It is what Scrapy itself costs per request on this machine: Scrapy's default settings and
components (no MRE middleware, extension, pipeline, cache or download handler), one spider whose
callback does nothing, the same replay server, the same URLs a ``crawl track`` requests (every
page of the tracks but the catalogue, and each track's robots.txt) and the same number in flight.
Run on the crawl's reactor thread (:func:`mre_crawler.crawl._ensure_reactor`), in the same
process, so both pay for the same interpreter, heap and cores.

Its requests/s, divided by the crawl's requests per race page, is the race pages/s that a crawl
built on Scrapy's per-request path could reach here if parsing and storing cost nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import scrapy

from mre_crawler.serve import read_manifest
from mre_crawler.urls import host_slug, to_site

# Pages a track crawl never asks for: the catalogue is the start of `crawl catalogue` only.
_NOT_IN_A_TRACK_CRAWL = frozenset({"track_catalogue"})


@dataclass
class YardstickRound:
    urls: int  # asked for
    responses: int  # answers received (any status), from Scrapy's own downloader stats
    seconds: float
    cpu_seconds: float  # this process, all threads
    server_cpu_seconds: float | None = None  # the replay server's, filled in by a caller that can tell

    @property
    def requests_per_s(self) -> float:
        return self.responses / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_seconds / self.responses if self.responses else 0.0


def track_crawl_urls(site_dir: Path, site: str, slugs: Iterable[str]) -> list[str]:
    """The replay URLs that ``crawl track`` of each of ``slugs`` requests from ``site``, in manifest order."""
    wanted = list(slugs)
    urls = [f"{site.rstrip('/')}/{slug}/robots.txt" for slug in wanted]
    keep = set(wanted)
    for page in read_manifest(Path(site_dir)):
        if page.page_type not in _NOT_IN_A_TRACK_CRAWL and host_slug(page.url) in keep:
            urls.append(to_site(page.url, site))
    return urls


class BareSpider(scrapy.Spider):
    """Asks for every URL once and does nothing with the answers."""

    name = "mre-bench-bare"
    # A 404 (robots.txt on the replay) is an answer like any other here; Scrapy's HttpError
    # middleware still drops it before the callback, as it would any non-2xx.

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, dont_filter=True)

    def parse(self, response):
        return None


def yardstick_settings(concurrency: int) -> dict[str, Any]:
    """Scrapy's defaults but for the number in flight (all on one host) and quiet logs."""
    return {"CONCURRENT_REQUESTS": concurrency, "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
            "LOG_LEVEL": "ERROR"}


def run_yardstick(urls: list[str], concurrency: int) -> YardstickRound:
    """Fetch ``urls`` with :class:`BareSpider`, ``concurrency`` in flight; block until done."""
    from scrapy.crawler import AsyncCrawlerRunner
    from scrapy.settings import Settings
    from scrapy.utils.defer import deferred_from_coro
    from twisted.internet import threads

    from mre_crawler.crawl import _ensure_reactor

    reactor = _ensure_reactor()
    box: dict[str, Any] = {}

    def start():
        async def go():
            runner = AsyncCrawlerRunner(Settings(yardstick_settings(concurrency)))
            crawler = runner.create_crawler(BareSpider)
            box["crawler"] = crawler
            await runner.crawl(crawler, urls=urls)

        return deferred_from_coro(go())

    t, cpu = time.perf_counter(), time.process_time()
    threads.blockingCallFromThread(reactor, start)
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    stats = box["crawler"].stats.get_stats()
    return YardstickRound(urls=len(urls), responses=int(stats.get("downloader/response_count", 0)),
                          seconds=seconds, cpu_seconds=cpu)
