"""Progress bars poll a crawler from another thread, from before the crawl has started."""

from __future__ import annotations

import pytest
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.statscollectors import MemoryStatsCollector

from mre_crawler.crawl import live_stats


class _Idle(Spider):
    name = "idle"


def test_a_crawler_not_started_yet_has_no_live_stats_instead_of_raising():
    crawler = Crawler(_Idle, {})
    with pytest.raises(RuntimeError):  # Scrapy 2.19: stats are set when the crawl starts
        crawler.stats  # noqa: B018
    assert live_stats(crawler) is None
    assert live_stats(None) is None


def test_a_started_crawlers_stats_are_read_live():
    crawler = Crawler(_Idle, {})
    crawler.stats = MemoryStatsCollector(crawler)
    crawler.stats.set_value("downloader/response_count", 7)
    assert live_stats(crawler).get_value("downloader/response_count") == 7


def test_without_a_terminal_progress_is_a_plain_line_with_done_queued_rate_budget_and_eta():
    import io

    from mre_crawler.progress import CrawlProgress, snapshot

    crawler = Crawler(_Idle, {})
    crawler.stats = MemoryStatsCollector(crawler)
    for key, value in {"downloader/response_count": 40, "scheduler/enqueued": 60, "scheduler/dequeued": 40,
                       "mre/budget/track/myclub": "40/1000"}.items():
        crawler.stats.set_value(key, value)
    snap = snapshot(crawler.stats, elapsed=20.0)
    assert (snap.done, snap.queued, snap.rate, snap.budget_left, snap.eta_s) == (40, 20, 2.0, 960, 10.0)
    assert snap.line() == "progress: 40 pages done, 20 queued, 2.0 pages/s, budget left 960, ETA 10 s"

    out = io.StringIO()
    progress = CrawlProgress(out, interval=0.01, tty=False)
    progress.watch(crawler)
    while "progress: 40 pages done, 20 queued" not in out.getvalue():
        pass  # the ticker's first line (no clock asserted: it only has to come)
    progress.stop()
    assert all(line.startswith("progress: ") for line in out.getvalue().splitlines())
