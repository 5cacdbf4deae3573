"""One ``mre.run_metrics`` row per crawl (issue 10): requests, latency p50/p95, cache hits and
misses, retries, 429/503 responses and Retry-After pauses, pages failed and quarantined, rows
written, duration. Read from the crawl's stats and the download latency Scrapy puts in each
response's meta, written with :func:`mre_crawler.run_metrics.record` when the spider closes (after
the bookkeeping extension has put the store's totals into the stats)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from mre_crawler.config import config_for

logger = logging.getLogger(__name__)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile of ``values`` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-int(share * 1000) * len(ordered) // 1000))  # ceil(share * n)
    return ordered[min(rank, len(ordered)) - 1]


def crawl_metrics(stats: dict[str, Any], latencies: list[float], failures: int) -> dict[str, Any]:
    def n(key: str) -> int:
        value = stats.get(key, 0)
        return int(value) if isinstance(value, (int, float)) else 0

    requests = n("downloader/request_count")
    hits = n("httpcache/hit")
    started, finished = stats.get("start_time"), stats.get("finish_time")
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    return {
        "requests": requests,
        "fetched": requests - hits,
        "cache_hits": hits,
        "cache_misses": n("httpcache/miss"),
        "latency_p50_ms": None if p50 is None else round(p50 * 1000, 1),
        "latency_p95_ms": None if p95 is None else round(p95 * 1000, 1),
        "retries": n("retry/count"),
        "http_429": n("downloader/response_status_count/429"),
        "http_503": n("downloader/response_status_count/503"),
        "retry_after_pauses": n("mre/pause/count"),
        "pages_parsed": n("mre/pages/parsed"),
        "pages_failed": failures,
        "quarantined": max(n("mre/store/quarantined"), n("mre/pages/quarantined")),
        "rows_written": n("mre/store/rows_inserted") + n("mre/store/rows_updated") + n("mre/store/rows_removed"),
        "duration_s": round((finished - started).total_seconds(), 3) if started and finished else None,
    }


class CrawlRunMetrics:
    def __init__(self, crawler):
        if not config_for(crawler).bookkeeping_enabled:
            raise NotConfigured("MRE_BOOKKEEPING_ENABLED is off")
        self.crawler = crawler
        self.latencies: list[float] = []
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def response_received(self, response, request, spider=None) -> None:
        latency = request.meta.get("download_latency")
        if latency is not None and "cached" not in response.flags:
            self.latencies.append(float(latency))

    def spider_closed(self, spider, reason) -> None:
        from mre_crawler import run_metrics
        from mre_crawler.db import connect
        from mre_crawler.eventlog import emit
        from mre_crawler.extensions.bookkeeping import database_url_for

        stats = self.crawler.stats.get_stats()
        metrics = crawl_metrics(stats, self.latencies, len(getattr(spider, "failures", []) or []))
        track = getattr(spider, "track_slug", None)
        emit("crawl", spider=spider.name, crawl_run_id=stats.get("mre/run_id"),
             track=track if isinstance(track, str) else None, requests_fetched=metrics["fetched"],
             cache_hits=metrics["cache_hits"],
             cache_misses=metrics["cache_misses"], requests=metrics["requests"],
             pages_failed=metrics["pages_failed"], rows_written=metrics["rows_written"])
        if stats.get("mre/database_lost"):
            return  # nowhere to write; the crawl says so itself
        started = stats.get("start_time") or datetime.now(timezone.utc)
        try:
            with connect(database_url_for(self.crawler), autocommit=True) as conn:
                run_metrics.record(
                    conn, "crawl", run_ref=stats.get("mre/run_id"),
                    track_slug=track if isinstance(track, str) else None,
                    started_at=started, finished_at=stats.get("finish_time") or datetime.now(timezone.utc),
                    ok=reason == "finished" and not metrics["pages_failed"],
                    metrics={"spider": spider.name, **metrics},
                )
        except Exception as exc:  # metrics never fail a crawl that ran
            logger.warning("could not store the crawl's run metrics: %s", str(exc).splitlines()[0])
