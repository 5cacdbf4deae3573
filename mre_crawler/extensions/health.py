"""End-of-crawl health checks over the crawl's stats (after spidermon's monitors).

A LiveRC layout change shows up as quarantined pages, unreadable values and a low items-per-page
ratio; an outage or a block shows up as a high 4xx/5xx share. :func:`check_health` turns the stats
into findings against the ``MRE_HEALTH_*`` thresholds; the extension runs it when the spider
closes, logs each failure, and leaves them in the stats (``mre/health/failed``) for the summary.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from mre_crawler.config import HealthThresholds, config_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HealthFinding:
    check: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"{'ok' if self.ok else 'FAILED'} {self.check}: {self.detail}"


def _sum_prefixed(stats: Mapping[str, Any], prefix: str, suffix: str = "") -> int:
    return sum(int(v) for k, v in stats.items() if k.startswith(prefix) and k.endswith(suffix) and isinstance(v, (int, float)))


def check_health(stats: Mapping[str, Any], limits: HealthThresholds) -> list[HealthFinding]:
    findings: list[HealthFinding] = []
    reason = stats.get("finish_reason")
    findings.append(HealthFinding("finish_reason", reason == "finished", f"crawl ended with {reason!r}"))

    # robots.txt answers are not pages: a 404 there only means "no rules".
    responses = int(stats.get("downloader/response_count", 0)) - int(stats.get("robotstxt/response_count", 0))
    http_errors = sum(
        _sum_prefixed(stats, f"downloader/response_status_count/{c}") - _sum_prefixed(stats, f"robotstxt/response_status_count/{c}")
        for c in "45"
    )
    share = http_errors / responses if responses else 0.0
    findings.append(HealthFinding(
        "http_error_share", share <= limits.max_http_error_share,
        f"{http_errors} of {responses} responses were 4xx/5xx ({share:.0%}; limit {limits.max_http_error_share:.0%})",
    ))

    parsed = int(stats.get("mre/pages/parsed", 0))
    quarantined = int(stats.get("mre/pages/quarantined", 0))
    seen = parsed + quarantined
    q_share = quarantined / seen if seen else 0.0
    findings.append(HealthFinding(
        "quarantined_share", q_share <= limits.max_quarantined_share,
        f"{quarantined} of {seen} pages quarantined ({q_share:.0%}; limit {limits.max_quarantined_share:.0%})",
    ))

    unparseable = _sum_prefixed(stats, "mre/field/", "/unparseable") + int(stats.get("mre/parse/problems", 0))
    findings.append(HealthFinding(
        "unparseable_values", unparseable <= limits.max_unparseable,
        f"{unparseable} unreadable values (limit {limits.max_unparseable})",
    ))

    errors = int(stats.get("log_count/ERROR", 0))
    findings.append(HealthFinding("error_log_lines", errors <= limits.max_errors, f"{errors} ERROR log lines (limit {limits.max_errors})"))

    # A page whose stored copy is the same body yields nothing new, but it was read fine.
    items = int(stats.get("mre/items/yielded", 0)) + int(stats.get("mre/items/unchanged", 0))
    rows_per_page = items / parsed if parsed else None
    if rows_per_page is None:
        findings.append(HealthFinding("items_per_page", True, "no pages parsed"))
    else:
        findings.append(HealthFinding(
            "items_per_page", rows_per_page >= limits.min_items_per_page,
            f"{rows_per_page:.2f} items per parsed page (floor {limits.min_items_per_page:g})",
        ))
    return findings


class CrawlHealth:
    def __init__(self, crawler):
        config = config_for(crawler)
        if not config.health_enabled:
            raise NotConfigured("MRE_HEALTH_ENABLED is off")
        self.crawler = crawler
        self.limits = config.health
        # spider_closed handlers run after finish_reason is set but before the stats are dumped.
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_closed(self, spider, reason: str) -> None:
        stats = dict(self.crawler.stats.get_stats())
        stats.setdefault("finish_reason", reason)
        findings = check_health(stats, self.limits)
        failed = [str(f) for f in findings if not f.ok]
        self.crawler.stats.set_value("mre/health/failed", failed)
        self.crawler.stats.set_value("mre/health/checks", len(findings))
        for line in failed:
            logger.warning("crawl health: %s", line)
