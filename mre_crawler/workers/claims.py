"""Tells the shared scheduler how far each claimed request has got (spider middleware + signals).

A claim is done when its callback's output has been read to the end (or the callback raised, or
the errback ran: see ``spiders/worker.py``); each item it yielded counts until Scrapy reports it
scraped, dropped or failed in the pipelines. An item a pipeline failed on never reached the store:
its claim is listed failed, never acked as done. Without the shared scheduler (no ``MRE_REDIS_URL``
worker) this middleware is off.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response


def _scheduler(crawler):
    return getattr(crawler, "mre_scheduler", None)


class ClaimProgressMiddleware:
    def __init__(self, crawler):
        if not crawler.settings.get("WORKER_ID"):
            raise NotConfigured  # silent: off for every crawl but a shared-crawl worker
        self.crawler = crawler
        for signal in (signals.item_scraped, signals.item_dropped):
            crawler.signals.connect(self.item_left, signal=signal)
        crawler.signals.connect(self.item_failed, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def item_left(self, item: Any = None, response: Any = None, **kwargs: Any) -> None:
        # ``response`` is a Failure for an item an errback yielded (a practice day completed by
        # its last session page's failure): not counted by _track, so not here either.
        scheduler = _scheduler(self.crawler)
        if scheduler is not None and isinstance(response, Response):
            scheduler.item_left(response.meta.get("mre_claim"))

    def item_failed(self, item: Any = None, response: Any = None, spider: Any = None, failure: Any = None,
                    **kwargs: Any) -> None:
        """A pipeline raised on this item: it never reached the store, so its page is not stored.
        The claim is listed failed (``P:failed`` and the crawl's failed pages), not done."""
        scheduler = _scheduler(self.crawler)
        if scheduler is None or not isinstance(response, Response):
            return
        from mre_crawler.extensions.dblost import database_lost, is_connection_lost
        from mre_crawler.middlewares.redirect import requested_url

        if failure is not None and is_connection_lost(failure.value):
            # Not a bad page: the database is gone. The claim stays unfinished (given back at close).
            database_lost(self.crawler, failure.value)
            return

        claim_id = response.meta.get("mre_claim")
        claim = scheduler.claims.get(claim_id)
        url = claim.url if claim is not None and claim.url else requested_url(response.request)
        text = (failure.getErrorMessage() if failure is not None else "") or "error"
        reason = "not stored: " + (text.strip().splitlines() or ["error"])[0]
        self.crawler.stats.inc_value("mre/store/pages_failed")
        failures = getattr(self.crawler.spider, "failures", None)
        if failures is not None:
            failures.append((url, reason))
        scheduler.page_failed(claim_id, url, reason)
        scheduler.item_left(claim_id)

    def _track(self, response, output):
        scheduler = _scheduler(self.crawler)
        claim = response.meta.get("mre_claim") if response is not None else None
        if scheduler is not None and not isinstance(output, Request):
            scheduler.item_out(claim, output)
        return output

    def process_spider_output(self, response, result: Iterable[Any]) -> Iterable[Any]:
        for output in result:
            yield self._track(response, output)
        self._done(response)

    async def process_spider_output_async(self, response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in result:
            yield self._track(response, output)
        self._done(response)

    def process_spider_exception(self, response, exception: BaseException) -> None:
        from mre_crawler.extensions.dblost import is_connection_lost

        # A callback that lost the database (a practice day's lock or plan, read after another
        # page's write lost the connection) did not do its page: the claim stays unfinished and
        # goes back on the queue when the worker stops (mre_crawler.extensions.dblost ends it).
        if not is_connection_lost(exception):
            self._done(response)
        return None

    def _done(self, response) -> None:
        scheduler = _scheduler(self.crawler)
        if scheduler is not None and response is not None:
            scheduler.callback_done(response.meta.get("mre_claim"))
