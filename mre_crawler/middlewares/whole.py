"""A page body cut short in transit is retried like a 5xx, and never reaches the HTTP cache.

LiveRC (or a proxy on the way) can answer ``200`` with a body that stops part-way: a race page
cut inside its results table at 85% of its bytes, with a ``Content-Length`` that matches (issue
9). Stored, it marked six good result rows removed; cached, it stayed for 30 days. Such a cut is
most likely transient, so this middleware retries it with the same backoff as
:class:`mre_crawler.middlewares.retry.BackoffRetryMiddleware` (the ``mre_not_before`` meta that
middleware waits for, the shared ``retry_times`` count and ``MRE_RETRY_*`` settings). When the
retries are used up the response goes on with ``meta["mre_cut_body"]`` naming the cut, and the
spider quarantines it (:meth:`spiders.base.LiveRCSpider.parsed`).

It sits between the cache (900) and politeness (950): its ``process_response`` runs before the
cache's, so a retried cut body is never offered to the cache at all, and the cache policy refuses
the last one too (:func:`mre_crawler.completeness.cut_reason` in
:class:`mre_crawler.middlewares.cache.PageTypeCachePolicy`). Here the body is still as it came off
the wire (HttpCompressionMiddleware, at 590, decodes it later), so ``Content-Length`` still
describes it. Only LiveRC pages are checked: robots.txt is not HTML.
"""

from __future__ import annotations

import logging
import time

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response

from mre_crawler.completeness import cut_reason
from mre_crawler.config import config_for
from mre_crawler.middlewares.retry import backoff_seconds
from mre_crawler.urls import BadURL, read_url

logger = logging.getLogger(__name__)


def is_page(url: str) -> bool:
    """Whether ``url`` is a LiveRC page MRE parses (not robots.txt or another file)."""
    try:
        read_url(url)
    except BadURL:
        return False
    return True


class CutBodyRetryMiddleware:
    """Retry a ``200`` LiveRC page whose body is cut short; flag it when the retries run out."""

    def __init__(self, crawler):
        config = config_for(crawler)
        if not config.cut_body_retry_enabled:
            raise NotConfigured("MRE_CUT_BODY_RETRY_ENABLED is off")
        self.crawler = crawler
        self.stats = crawler.stats
        self.retry_enabled = config.retry_enabled
        self.max_retry_times = config.retry_times
        self.base = config.retry_backoff_base
        self.cap = config.retry_backoff_max

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        # A cached copy was checked by the cache policy (a cut one is never fresh nor valid).
        if response.status != 200 or "cached" in response.flags or request.method != "GET" or not is_page(request.url):
            return response
        reason = cut_reason(response.body, response.headers)
        if reason is None:
            return response
        self.stats.inc_value("mre/whole/cut_bodies")
        if self.retry_enabled and not request.meta.get("dont_retry", False):
            attempt = request.meta.get("retry_times", 0) + 1
            retry = get_retry_request(
                request,
                spider=self.crawler.spider,
                reason=f"cut body: {reason}",
                max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
                stats_base_key="mre/whole/retry",
            )
            if retry is not None:
                wait = backoff_seconds(attempt, self.base, self.cap)
                retry.meta["mre_not_before"] = time.time() + wait
                logger.info("%s came back cut short (%s); retry %d in %.1f s", request.url, reason, attempt, wait)
                return retry
        self.stats.inc_value("mre/whole/cut_bodies/given_up")
        logger.warning("%s came back cut short (%s) on every attempt: not stored", request.url, reason)
        request.meta["mre_cut_body"] = reason
        return response
