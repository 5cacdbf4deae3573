"""Store pipeline: pages buffered, flushed at close, run recorded with stats."""

from __future__ import annotations

import datetime as dt

import pytest
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from mre_crawler import items as it
from mre_crawler.parsers import parse_page
from pipelines.store import StorePipeline

pytestmark = [pytest.mark.db, pytest.mark.liverc]


def _pages(liverc):
    for rid in (6304829, 6304830):
        page = liverc[f"race-{rid}.html"]
        meta = {"track_slug": "canberraoffroad", "race_id": rid, "event_id": 486677}
        yield it.PageItem(page.url, "race_result", dt.datetime.now(dt.timezone.utc),
                          parse_page(page.body, page.url, "race_result", meta).item)


def _run(pg_url, liverc, threaded=True):
    crawler = get_crawler(settings_dict={"MRE_DATABASE_URL": pg_url, "MRE_STORE_BATCH_PAGES": 1,
                                         "MRE_STORE_THREADED": threaded})
    pipe = StorePipeline.from_crawler(crawler)
    pipe.open_spider()
    for page in _pages(liverc):
        assert pipe.process_item(page) is page
    assert pipe.process_item({"not": "a page"}) == {"not": "a page"}  # passes through
    practice = it.PageItem("https://x.liverc.com/practice/", "practice_month", dt.datetime.now(dt.timezone.utc),
                           it.PracticeMonth("x", "2025-10"))
    pipe.process_item(practice)
    pipe.close_spider()
    # As Scrapy's engine does next: the run row is finished with the reason at spider_closed.
    crawler.signals.send_catch_log(signal=signals.spider_closed, spider=None, reason="finished")
    return crawler.stats


@pytest.mark.parametrize("threaded", [True, False])
def test_pages_are_stored_and_the_run_recorded(pg_conn, pg_url, liverc, threaded):
    stats = _run(pg_url, liverc, threaded)
    assert pg_conn.execute("SELECT count(*) FROM mre.race_results").fetchone()[0] == 24  # 12 rows on each page
    assert stats.get_value("mre/store/pages") == 2
    assert stats.get_value("mre/store/unsupported") == 1
    run = pg_conn.execute("SELECT pages, rows_inserted, finish_reason, finished_at IS NOT NULL FROM mre.crawl_runs"
                          ).fetchone()
    assert run == (2, stats.get_value("mre/store/rows_inserted"), "finished", True)
    # a second crawl of the same pages writes nothing
    again = _run(pg_url, liverc, threaded)
    assert again.get_value("mre/store/rows_inserted") is None and again.get_value("mre/store/rows_updated") is None


def test_switch_off_raises_not_configured():
    with pytest.raises(NotConfigured):
        StorePipeline.from_crawler(get_crawler(settings_dict={"MRE_STORE_ENABLED": False}))
