"""The shared scheduler: scrapy-redis's ``Scheduler`` over :class:`~mre_crawler.workers.queue.ClaimQueue`.

A request goes to Redis (through the duplicate filter) unless it belongs to a claim this worker
holds: a retry or a followed redirect of a claimed request stays here, in memory, and the claim
is done only when its last attempt's callback (or errback) has run.

A claim is **acked** (removed from the worker's in-flight hash) only when its page is safely
stored: its callback has finished, every item it yielded has left the pipelines, and the store
pipeline has committed the batch those items went into. A worker killed at any moment therefore
leaves in Redis every request whose rows are not committed, and another worker does it again
(upserts make that harmless). When the worker closes, claims it could not finish go back on the
queue for the others.

A page that fails (its last attempt's errback ran, or it was quarantined) goes into the shared
failure list ``P:failed`` (a hash URL -> reason) at that moment; the ack of a later successful
store of the same page (by any worker) takes it out again.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass, field

from scrapy_redis.scheduler import Scheduler

logger = logging.getLogger(__name__)


@dataclass
class Claim:
    url: str = ""  # the page it asks for (its key in the shared failure list)
    failed: bool = False  # its page failed (listed in ``P:failed``)
    items: int = 0  # items yielded and not yet out of the pipelines
    done: bool = False  # the callback (or errback) of its last attempt has run
    commit_needed: int | None = None  # the store batch whose commit it waits for
    pages: set[str] = field(default_factory=set)  # URLs of the page items it yielded
    # A practice page (meta ``mre_practice``): its rows, if any, are written by the practice
    # pipeline in a transaction of its own, not in the store's batches.
    practice: bool = False
    # A practice day this worker holds (its lock taken): its session pages stay here, and the
    # claim is settled by the practice pipeline when the day's transaction has ended.
    day_open: bool = False


class SharedScheduler(Scheduler):
    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        scheduler.persist = True  # never clear the shared queue or seen set on close
        scheduler.local: deque = deque()
        scheduler.claims: dict[int, Claim] = {}
        scheduler.commits = 0
        scheduler._alive_at = 0.0
        scheduler._recovered_at = 0.0
        crawler.mre_scheduler = scheduler
        return scheduler

    def open(self, spider):
        # scrapy-redis 0.9.1's open() and enqueue_request() call APIs Scrapy 2.19 deprecates
        # (Spider.log, stats with spider=): the same steps, with the current ones.
        from scrapy.utils.misc import load_object

        self.spider = spider
        self.queue = load_object(self.queue_cls)(server=self.server, spider=spider,
                                                 key=self.queue_key % {"spider": spider.name}, serializer=self.serializer)
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        if len(self.queue):
            logger.info("worker %s: %d requests waiting in the shared queue", self.queue.worker, len(self.queue))
        if self.queue.worker != "enqueue":
            # before this worker claims anything: the time-zone index of the first dashboard it
            # stores would otherwise block it for seconds with claims held (taken for dead)
            from mre_crawler import timezones

            timezones.preload()
        self.queue.keep_alive()
        self._alive_at = time.monotonic()
        if self.queue.worker != "enqueue":
            self.queue.start_heartbeat()

    # -- Scrapy's scheduler interface ---------------------------------------------------------
    def enqueue_request(self, request):
        claim = request.meta.get("mre_claim")
        if claim is not None:
            held = self.claims.get(claim)
            if held is not None and (not held.done or held.day_open):
                # a retry or redirect of a request this worker holds, or a session page of a day it holds
                self.local.append(request)
                return True
            del request.meta["mre_claim"]
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self):
        if self.local:
            return self.local.popleft()
        return self.claim()

    def has_pending_requests(self):
        return bool(self.local) or len(self.queue) > 0

    def close(self, reason):
        # The pipelines have closed (their last commit acked what it stored); what is left was
        # not finished here and goes back for the other workers.
        left = [cid for cid in self.claims]
        if left:
            n = self.queue.give_back(left)
            logger.info("worker %s: %d unfinished requests back on the queue", self.queue.worker, n)
            self.stats.inc_value("mre/worker/given_back", n)
        self.claims.clear()
        self.queue.leave()

    # -- claims -------------------------------------------------------------------------------
    def claim(self):
        request = self.queue.claim()
        if request is not None:
            from mre_crawler.practice.job import META_KEY

            self.claims[request.meta["mre_claim"]] = Claim(url=request.url, practice=META_KEY in request.meta)
            self.stats.inc_value("mre/worker/claimed")
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def claim_to_start(self, most: int):
        """A claimed request for ``start()`` to hand the engine, when this worker has room."""
        if self.local or len(self.claims) >= most:
            return None
        return self.claim()

    def item_out(self, claim_id: int | None, item=None) -> None:
        claim = self.claims.get(claim_id)
        if claim is not None:
            claim.items += 1
            url = getattr(item, "url", None)
            if isinstance(url, str):
                claim.pages.add(url)

    def item_left(self, claim_id: int | None) -> None:
        claim = self.claims.get(claim_id)
        if claim is not None:
            claim.items -= 1
            self._ready(claim_id, claim)

    def callback_done(self, claim_id: int | None) -> None:
        claim = self.claims.get(claim_id)
        if claim is not None:
            claim.done = True
            self._ready(claim_id, claim)

    def _store(self):
        from pipelines.store import StorePipeline

        pipeline = self.crawler.get_item_pipeline(StorePipeline)
        return pipeline if pipeline is not None and pipeline.store is not None else None

    def _ready(self, claim_id: int, claim: Claim) -> None:
        if not claim.done or claim.items > 0 or claim.commit_needed is not None or claim.day_open:
            return
        from mre_crawler.extensions.dblost import lost

        if lost(self.crawler):
            # Nothing is acked once the database is lost: a callback that ran after the loss may
            # have skipped its page's database work (a practice claim is acked without a commit),
            # so its claim goes back on the queue at close, with every other unfinished one.
            return
        store = self._store()
        if store is None or claim.practice:
            self._ack([claim_id])
            return
        # Its page items went into batches already submitted (through the pipelines before the
        # scraped signal; one may have filled a batch and sent it): the latest of them holds the
        # last of its rows, and its fetch record, taken when the response came, went with that
        # batch or an earlier one. Otherwise (no page item, one not buffered) the batch being
        # filled: the next submission. Waiting for the next one always would be safe too, but a
        # claim whose page committed would then be given back when that next batch is lost, and
        # its page fetched again although stored.
        batches = [store.page_batch.get(url) for url in claim.pages]
        if batches and None not in batches:
            claim.commit_needed = max(batches)
        else:
            claim.commit_needed = store.submissions + 1

    # -- practice days ------------------------------------------------------------------------
    def day_taken(self, claim_id: int | None) -> None:
        """This worker holds the practice day of this claim (its advisory lock): not done until
        :meth:`day_settled`, whatever its callbacks and items do meanwhile."""
        claim = self.claims.get(claim_id)
        if claim is not None:
            claim.day_open = True

    def day_settled(self, claim_id: int | None) -> None:
        """The practice pipeline's transaction for the day has ended (committed, or failed for
        a reason of its own and listed): acked."""
        if claim_id in self.claims:
            self._ack([claim_id])

    def give_back_claim(self, claim_id: int | None) -> None:
        """Not for this worker now (a practice day another process is ingesting): back on the
        queue for whoever is free, this worker included."""
        if claim_id in self.claims:
            n = self.queue.give_back([claim_id])
            del self.claims[claim_id]
            self.stats.inc_value("mre/worker/given_back", n)

    def committed(self, number: int, failed=()) -> None:
        """The store pipeline committed its batch ``number``; ``failed``: (URL, reason) of pages
        of it whose rows the database refused (quarantined): their claims are listed failed."""
        self.commits = number
        settled = [cid for cid, c in self.claims.items() if c.commit_needed is not None and c.commit_needed <= number]
        self._list_failed(settled, failed)
        self._ack(settled)

    def not_committed(self, number: int, reason: str | None, failed=()) -> None:
        """The store pipeline's batch ``number`` did not commit: no claim waiting for it is done.
        ``reason`` None (the database is lost): they go back on the queue for another worker (or
        this one's next run). Otherwise every page of the batch is listed failed (``failed``),
        and so is every claim that waited for it: a batch that failed for a reason of its own
        would fail again, over and over, if given back."""
        waiting = [cid for cid, c in self.claims.items() if c.commit_needed is not None and c.commit_needed <= number]
        if reason is None:
            if waiting:
                n = self.queue.give_back(waiting)
                logger.info("worker %s: %d requests whose rows did not commit back on the queue", self.queue.worker, n)
                self.stats.inc_value("mre/worker/given_back", n)
                for cid in waiting:
                    del self.claims[cid]
            return
        self._list_failed(waiting, failed)
        for cid in waiting:
            claim = self.claims[cid]
            if not claim.failed:
                self.page_failed(cid, claim.url, reason)
        self._ack(waiting)

    def _list_failed(self, claim_ids: list[int], failed) -> None:
        """Pages not stored: into the shared failure list, under the URL of the claim that
        yielded them (its key there) or, when no claim here did, their own."""
        for url, reason in failed:
            owners = [cid for cid in claim_ids if url in self.claims[cid].pages]
            for cid in owners:
                self.page_failed(cid, self.claims[cid].url, reason)
            if not owners:
                self.queue.note_failure(url, reason, self.queue.worker)

    def _ack(self, claim_ids: list[int]) -> None:
        if claim_ids:
            self.queue.ack(*claim_ids)
            stored = [self.claims[cid].url for cid in claim_ids if not self.claims[cid].failed and self.claims[cid].url]
            if stored:
                # Stored (committed) now: a failure another worker listed for it earlier is over.
                self.queue.clear_failures(stored)
                self.stats.inc_value("mre/worker/stored", len(stored))
            for cid in claim_ids:
                del self.claims[cid]
            self.stats.inc_value("mre/worker/acked", len(claim_ids))

    def page_failed(self, claim_id: int | None, url: str, reason: str) -> None:
        """A page failed here: into the shared failure list at once, so a worker killed later
        does not take it along (and its claim is not cleared from the list when acked)."""
        self.mark_failed(claim_id)
        self.queue.note_failure(url, reason, self.queue.worker)

    def mark_failed(self, claim_id: int | None) -> None:
        """Its page failed (listed): its ack does not take it off the shared failure list."""
        claim = self.claims.get(claim_id)
        if claim is not None and not claim.failed:
            claim.failed = True
            self.stats.inc_value("mre/worker/failed")

    # -- what start() asks --------------------------------------------------------------------
    def busy(self) -> bool:
        return bool(self.claims) or bool(self.local)

    def waiting_for_commit_only(self) -> bool:
        return bool(self.claims) and not self.local and all(c.commit_needed is not None for c in self.claims.values())

    def flush_store(self) -> None:
        store = self._store()
        if store is not None:
            store.flush_now()

    def tick(self) -> None:
        """Keep this worker alive; now and then give back the claims of workers that died."""
        now = time.monotonic()
        if now - self._alive_at >= 1.0:
            self.queue.keep_alive()
            self._alive_at = now
        if now - self._recovered_at >= 3.0:
            self._recovered_at = now
            n = self.queue.recover_dead()
            if n:
                self.stats.inc_value("mre/worker/recovered", n)

    def shared_idle(self) -> bool:
        """Nothing queued and nothing claimed by any worker."""
        return len(self.queue) == 0 and self.queue.in_flight_anywhere() == 0
