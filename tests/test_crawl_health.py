"""Crawl-health checks over the stats, fed fake stats (no crawl)."""

from __future__ import annotations

import pytest

from mre_crawler.config import HealthThresholds
from mre_crawler.extensions.health import check_health

LIMITS = HealthThresholds(max_http_error_share=0.25, max_quarantined_share=0.1, max_unparseable=5,
                          max_errors=0, min_items_per_page=0.5)

HEALTHY = {
    "finish_reason": "finished",
    "downloader/response_count": 41,
    "downloader/response_status_count/200": 40,
    "downloader/response_status_count/404": 1,
    "robotstxt/response_count": 1,
    "robotstxt/response_status_count/404": 1,  # a missing robots.txt is not a failed page
    "mre/pages/parsed": 40,
    "mre/items/yielded": 40,
}


def failed(stats):
    return {f.check for f in check_health(stats, LIMITS) if not f.ok}


def test_a_healthy_crawl_passes_every_check():
    assert failed(HEALTHY) == set()


@pytest.mark.parametrize(
    ("change", "check"),
    [
        ({"finish_reason": "shutdown"}, "finish_reason"),
        ({"downloader/response_status_count/200": 20, "downloader/response_status_count/503": 20}, "http_error_share"),
        ({"mre/pages/quarantined": 10}, "quarantined_share"),
        ({"mre/field/race_result.fastest_lap/unparseable": 6}, "unparseable_values"),
        ({"log_count/ERROR": 1}, "error_log_lines"),
        ({"mre/items/yielded": 10}, "items_per_page"),
    ],
)
def test_each_threshold_fails_its_own_check(change, check):
    assert failed({**HEALTHY, **change}) == {check}


def test_findings_explain_themselves():
    findings = {f.check: str(f) for f in check_health({**HEALTHY, "mre/pages/quarantined": 10}, LIMITS)}
    assert findings["quarantined_share"] == "FAILED quarantined_share: 10 of 50 pages quarantined (20%; limit 10%)"


def test_an_empty_crawl_reports_its_finish_reason_without_dividing_by_zero():
    assert failed({"finish_reason": "finished"}) == set()
