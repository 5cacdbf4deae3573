"""``worker``: a shared-crawl worker. It has no start pages of its own: it takes the requests that
``mre crawl … --enqueue`` (or another worker) put in Redis, with the track, event and catalogue
spiders' callbacks, until the shared crawl has been idle for ``idle_exit`` seconds (or forever).

``start()`` is the Scrapy 2.19 adapter for scrapy-redis (see :mod:`mre_crawler.workers`): while it
runs, Scrapy keeps the spider open, so no ``spider_idle`` polling is needed; when this worker has
room and work is waiting it hands the engine a claimed request at once (the engine itself then
takes more from the scheduler as requests finish).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import scrapy
from twisted.python.failure import Failure

from spiders.catalogue import CatalogueSpider
from spiders.event import EventPages
from spiders.track import TrackSpider

POLL_SECONDS = 0.1


class WorkerSpider(TrackSpider):
    name = "worker"
    # ``mre crawl catalogue --enqueue``: the catalogue page's callback (its dashboards come back
    # to TrackSpider's parse_dashboard, which is the catalogue spider's too).
    parse_catalogue = CatalogueSpider.parse_catalogue

    def __init__(self, idle_exit: str | float | None = None, worker_id: str = "", **kwargs: Any):
        EventPages.__init__(self, **kwargs)
        self.worker_id = worker_id
        self.idle_exit = None if idle_exit in (None, "") else float(idle_exit)
        # Track-spider state a worker never has: the range comes in each events-list request's meta.
        self.track_slug, self.since, self.until, self.follow_events = None, None, None, True

    async def start(self):
        scheduler = self.crawler.mre_scheduler
        most = self.crawler.settings.getint("CONCURRENT_REQUESTS", 16)
        idle_since: float | None = None
        while True:
            scheduler.tick()
            request = scheduler.claim_to_start(most)
            if request is not None:
                idle_since = None
                yield request
                continue
            if scheduler.busy():
                idle_since = None
                if scheduler.waiting_for_commit_only():
                    scheduler.flush_store()  # nothing else to do: commit, then ack
            elif scheduler.shared_idle():
                idle_since = idle_since or time.monotonic()
                if self.idle_exit is not None and time.monotonic() - idle_since >= self.idle_exit:
                    return
            else:
                idle_since = None  # others still hold claims (or one is dying): wait for them
            await asyncio.sleep(POLL_SECONDS)

    def page_failed(self, failure: Failure) -> None:
        super().page_failed(failure)
        scheduler = getattr(self.crawler, "mre_scheduler", None)
        if scheduler is not None:
            scheduler.callback_done(failure.request.meta.get("mre_claim"))

    def on_failure(self, request: scrapy.Request, reason: str) -> None:
        """A worker has no input of its own to call bad: the page goes into the shared failure
        list in Redis now (not at exit: a worker killed later keeps it there)."""
        from mre_crawler.middlewares.redirect import requested_url

        self._shared_failure(request.meta.get("mre_claim"), requested_url(request), reason)

    def on_quarantine(self, response, page_type, exc) -> None:
        """As :meth:`on_failure` (under the URL asked for, which is the claim's, not a redirect's)."""
        from mre_crawler.middlewares.redirect import requested_url

        url = requested_url(response.request) if response.request is not None else response.url
        self._shared_failure(response.meta.get("mre_claim"), url, f"quarantined: {exc.reason}")

    def _shared_failure(self, claim_id, url: str, reason: str) -> None:
        scheduler = getattr(self.crawler, "mre_scheduler", None)
        if scheduler is not None:
            scheduler.page_failed(claim_id, url, reason)
