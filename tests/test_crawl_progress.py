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
