"""Retries with exponential backoff; 429 and 503 honour ``Retry-After`` for the whole track.

Scrapy's RetryMiddleware re-sends at once. Here a retried request carries the moment it may go
(``mre_not_before`` in meta) and waits for it in ``process_request`` with an asyncio sleep, so
nothing busy-loops and other tracks keep downloading meanwhile. A 429/503 with ``Retry-After``
pauses every request of that track (LiveRC asked the track's host to slow down, not one URL):
see :mod:`mre_crawler.middlewares.pause`, which also holds requests already past this middleware
and shares the pause with other processes. A ``Retry-After`` longer than ``MRE_RETRY_AFTER_MAX``
gives the page up rather than stall a crawl for hours (the failure is reported like any other),
and still pauses the track for ``MRE_RETRY_AFTER_MAX``: LiveRC asked for at least that much.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import time

from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.response import response_status_message

from mre_crawler.config import config_for
from mre_crawler.middlewares.pause import pause_key

logger = logging.getLogger(__name__)

RETRY_AFTER_CODES = (429, 503)


def parse_retry_after(value: str | bytes | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; None if unreadable."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def backoff_seconds(attempt: int, base: float, cap: float) -> float:
    """Wait before retry number ``attempt`` (1, 2, 3 ...): base, 2*base, 4*base ... at most cap."""
    return min(cap, base * (2 ** (attempt - 1)))


def track_of(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()


class BackoffRetryMiddleware(RetryMiddleware):
    """Drop-in for Scrapy's RetryMiddleware (same place in the chain, same RETRY_* settings)."""

    def __init__(self, crawler):
        config = config_for(crawler)
        if not config.retry_enabled:
            raise NotConfigured("MRE_RETRY_ENABLED is off")
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_retry_times = config.retry_times
        self.base = config.retry_backoff_base
        self.cap = config.retry_backoff_max
        self.retry_after_max = config.retry_after_max

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        wait = request.meta.get("mre_not_before", 0.0) - time.time()
        if wait > 0:
            self.stats.inc_value("mre/retry/waits")
            self.stats.inc_value("mre/retry/wait_seconds", round(wait, 3))
            await asyncio.sleep(wait)
        return None

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        attempt = request.meta.get("retry_times", 0) + 1
        wait = backoff_seconds(attempt, self.base, self.cap)
        told = None
        if response.status in RETRY_AFTER_CODES:
            told = parse_retry_after(response.headers.get(b"Retry-After"))
            if told is not None:
                self.stats.inc_value(f"mre/retry/retry_after/{response.status}")
                # The track's pause (at most MRE_RETRY_AFTER_MAX) was set by the download handler
                # as the answer arrived (TrackPauses.note_answer); here only this page's retry.
                if told > self.retry_after_max:
                    logger.warning(
                        "%s asked to wait %.0f s (Retry-After), more than MRE_RETRY_AFTER_MAX=%.0f s: giving up %s",
                        pause_key(request.url), told, self.retry_after_max, request.url,
                    )
                    self.stats.inc_value("mre/retry/retry_after_too_long")
                    return response
                wait = max(wait, told)
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=response_status_message(response.status),
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
        )
        if retry is None:
            return response
        retry.meta["mre_not_before"] = time.time() + wait
        logger.info("%s answered %s; retry %d in %.1f s%s", request.url, response.status, attempt, wait,
                    " (Retry-After)" if told is not None else "")
        return retry

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if request.meta.get("dont_retry", False) or not isinstance(exception, self.exceptions_to_retry):
            return None
        attempt = request.meta.get("retry_times", 0) + 1
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=exception,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
        )
        if retry is not None:
            retry.meta["mre_not_before"] = time.time() + backoff_seconds(attempt, self.base, self.cap)
        return retry
