"""``worker``: a shared-crawl worker. It has no start pages of its own: it takes the requests that
``mre crawl … --enqueue``, ``mre sync --enqueue`` (or another worker) put in Redis, with the track,
event, catalogue and practice spiders' callbacks, until the shared crawl has been idle for
``idle_exit`` seconds (or forever).

Practice days (:class:`~spiders.practice.PracticeRoutes`): month views and day overviews are
shared claims, each carrying its job (track, mode, range, budget) in meta. The worker that claims
a day's overview takes the day's advisory lock, fetches the day's session pages itself (kept in
this worker, as retries of a claim are), and the claim is acked when the practice pipeline has
written the day; a day another process holds is given back to the queue. The rule that a failed
month view counts only when no month view of its range could be read is kept in Redis per job
(``P:practice:read:JOB``, ``P:practice:months:JOB``), so it holds over all workers.

``start()`` is the Scrapy 2.19 adapter for scrapy-redis (see :mod:`mre_crawler.workers`): while it
runs, Scrapy keeps the spider open, so no ``spider_idle`` polling is needed; when this worker has
room and work is waiting it hands the engine a claimed request at once (the engine itself then
takes more from the scheduler as requests finish).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

import scrapy
from twisted.python.failure import Failure

from mre_crawler.practice.job import PracticeJob
from spiders.catalogue import CatalogueSpider
from spiders.practice import PracticeRoutes
from spiders.track import TrackSpider

POLL_SECONDS = 0.1

# KEYS: the job's read flag, its held-back month failures, the shared failure list. ARGV: URL, value.
# A month view failed: held back with the job, and listed, unless a month view of the job was read.
_MONTH_FAILED = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return 1
"""
# A month view of the job was read: the job's held-back month failures are no failures.
_MONTH_READ = """
redis.call('SET', KEYS[1], '1')
local urls = redis.call('HKEYS', KEYS[2])
for _, url in ipairs(urls) do redis.call('HDEL', KEYS[3], url) end
redis.call('DEL', KEYS[2])
return #urls
"""


class WorkerSpider(TrackSpider, PracticeRoutes):
    name = "worker"
    # The practice pipeline writes practice days and a practice job's dashboard; the track crawl's
    # pages go on through normalize, validate and the store.
    custom_settings = {"ITEM_PIPELINES": {"mre_crawler.practice.pipeline.PracticePipeline": 50,
                                          "pipelines.normalize.NormalizePipeline": 100,
                                          "pipelines.validate.ValidatePipeline": 200,
                                          "pipelines.store.StorePipeline": 300}}
    # ``mre crawl catalogue --enqueue``: the catalogue page's callback (its dashboards come back
    # to TrackSpider's parse_dashboard, which is the catalogue spider's too).
    parse_catalogue = CatalogueSpider.parse_catalogue

    def __init__(self, idle_exit: str | float | None = None, worker_id: str = "", **kwargs: Any):
        PracticeRoutes.__init__(self, **kwargs)  # not TrackSpider's: a worker has no track arguments
        self.worker_id = worker_id
        self.idle_exit = None if idle_exit in (None, "") else float(idle_exit)
        # Track-spider state a worker never has: the range comes in each events-list request's meta.
        self.track_slug, self.since, self.until, self.follow_events = None, None, None, True
        from mre_crawler.practice.shared_runs import WorkerPracticeLog

        # This worker's practice work per track and mode, recorded as in-process practice runs are.
        self.practice_log = WorkerPracticeLog()

    async def start(self):
        from mre_crawler.practice.runner import practice_setting

        self.lock_wait = float(practice_setting("MRE_PRACTICE_LOCK_WAIT", self.crawler.settings))
        from scrapy import signals

        self.crawler.signals.connect(self._practice_response, signal=signals.response_received)
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
                if self.practice_log.shares:
                    # A worker running as a service records each shared crawl's practice work.
                    self.record_practice("finished")
                if self.idle_exit is not None and time.monotonic() - idle_since >= self.idle_exit:
                    return
            else:
                idle_since = None  # others still hold claims (or one is dying): wait for them
            await asyncio.sleep(POLL_SECONDS)

    # -- practice runs (mre_crawler.practice.shared_runs) ---------------------------------------
    def _practice_response(self, response, request, spider=None, **kwargs: Any) -> None:
        job = PracticeJob.from_meta(request.meta)
        if job is not None:
            self.practice_log.response(job, request.meta.get("page_type", ""), response.status,
                                       "cached" in response.flags)

    def _practice_failure(self, meta, url: str, reason: str) -> None:
        job = PracticeJob.from_meta(meta)
        if job is not None:
            self.practice_log.failure(job, url, reason)

    def record_practice(self, finish_reason: str) -> None:
        """This worker's practice work so far into ``mre.practice_runs`` and ``mre.run_metrics``,
        one run per track and mode (``mre health`` reads them as it reads in-process runs)."""
        from mre_crawler.extensions.bookkeeping import database_url_for
        from mre_crawler.extensions.dblost import lost

        if not self.practice_log.shares or lost(self.crawler):
            return
        try:
            ids = self.practice_log.record(database_url_for(self.crawler), self.report, self.crawler.stats.get_stats(),
                                           self.worker_id, finish_reason)
        except Exception as exc:  # noqa: BLE001 - the days are stored; only their run rows are missing
            self.logger.warning("practice runs of worker %s not recorded: %s", self.worker_id, exc)
            return
        self.crawler.stats.inc_value("mre/worker/practice_runs", len(ids))

    def closed(self, reason: str) -> None:
        self.record_practice(reason)

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
        self._practice_failure(request.meta, requested_url(request), reason)

    def on_quarantine(self, response, page_type, exc) -> None:
        """As :meth:`on_failure` (under the URL asked for, which is the claim's, not a redirect's)."""
        from mre_crawler.middlewares.redirect import requested_url

        url = requested_url(response.request) if response.request is not None else response.url
        self._shared_failure(response.meta.get("mre_claim"), url, f"quarantined: {exc.reason}")
        self._practice_failure(response.meta, url, f"quarantined: {exc.reason}")

    def _shared_failure(self, claim_id, url: str, reason: str) -> None:
        scheduler = getattr(self.crawler, "mre_scheduler", None)
        if scheduler is not None:
            scheduler.page_failed(claim_id, url, reason)

    # -- practice days ------------------------------------------------------------------------
    def _practice_keys(self, job: PracticeJob) -> list[str]:
        prefix = self.crawler.settings.get("MRE_REDIS_PREFIX", "mre")
        return [f"{prefix}:practice:read:{job.key}", f"{prefix}:practice:months:{job.key}", f"{prefix}:failed"]

    def _redis(self):
        return self.crawler.mre_scheduler.server

    def month_read(self, job: PracticeJob) -> None:
        self._redis().eval(_MONTH_READ, 3, *self._practice_keys(job))

    def month_not_read(self, job: PracticeJob, request, reason: str) -> None:
        """Held back with its job in Redis (listed in the shared failures until a month view of
        the range is read, by any worker); this errback ends the month view's claim."""
        scheduler = self.crawler.mre_scheduler
        claim = request.meta.get("mre_claim")
        listed = self._redis().eval(_MONTH_FAILED, 3, *self._practice_keys(job), request.url,
                                    f"{reason}\t{scheduler.queue.worker}")
        if listed:
            self.failures.append((request.url, reason))
            self.practice_log.failure(job, request.url, reason)
            scheduler.mark_failed(claim)
        else:
            self.skip("practice_month/no_page")
        scheduler.callback_done(claim)

    def day_taken(self, response) -> None:
        from mre_crawler.practice import source_event_id

        self.crawler.mre_scheduler.day_taken(response.meta.get("mre_claim"))
        job = self.job_of(response.meta)
        self.practice_log.day(job, source_event_id(job.track_slug, dt.date.fromisoformat(response.meta["date"])))

    def day_busy(self, job: PracticeJob, day, response) -> None:
        """Another process holds the day: its overview claim goes back on the queue (this worker
        may take it again; the day is stored by whoever holds it, then re-read here as stored)."""
        self.logger.info("practice day %s/%s is held by another process; its claim goes back on the queue",
                         job.track_slug, day)
        self.crawler.stats.inc_value("mre/practice/days_given_back")
        self.practice_log.busy(job)
        if response is not None:
            self.crawler.mre_scheduler.give_back_claim(response.meta.get("mre_claim"))
