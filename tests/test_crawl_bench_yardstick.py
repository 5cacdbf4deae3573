"""The bare-Scrapy yardstick of `mre bench crawl` on a small generated site (timings printed, never asserted)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from mre_crawler.benchmarks._crawl_yardstick import run_yardstick, track_crawl_urls
from mre_crawler.samplesite import load_truth
from mre_crawler.serve import site_key


def _paths(site: str, urls: list[str]) -> Counter:
    return Counter(site_key(u[len(site):]) for u in urls)


def test_the_yardstick_reports_as_many_answers_as_the_server_saw_requests(small_site: Path, serve):
    server = serve(small_site)
    slugs = [t["slug"] for t in load_truth(small_site)["tracks"]]
    urls = track_crawl_urls(small_site, server.site, slugs)
    result = run_yardstick(urls, concurrency=4)
    assert result.urls == len(urls) > 10
    assert result.responses == len(server.log) == len(urls)
    assert Counter(site_key(e.path) for e in server.log) == _paths(server.site, urls)  # each URL once
    assert result.seconds > 0 and result.cpu_seconds > 0


def test_the_yardstick_asks_for_the_urls_a_track_crawl_requests(small_site: Path, serve, crawl):
    server = serve(small_site)
    slugs = [t["slug"] for t in load_truth(small_site)["tracks"]]
    for slug in slugs:
        assert crawl("track", {"track": slug}, MRE_SITE=server.site).failures == []
    crawled = Counter(site_key(e.path) for e in server.log)
    assert _paths(server.site, track_crawl_urls(small_site, server.site, slugs)) == crawled


def test_bench_crawl_prints_the_yardstick_rounds_beside_the_first_crawl(capsys):
    from mre_crawler.cli import main

    assert main(["bench", "crawl", "--tracks", "1", "--events", "2", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "yardstick 1" in out and "yardstick 2" in out and "crawl / yardstick" in out
