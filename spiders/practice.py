"""``practice``: a track's practice days (``mre practice discover|ingest|drift|retry`` wrap it).

    scrapy crawl practice -a track=SLUG -a date_from=2025-10-01 -a date_to=2025-10-31 [-a mode=ingest]
    scrapy crawl practice -a track=SLUG -a date=2025-10-25

Modes: ``discover`` (month views, then day overviews: discovery records), ``ingest`` (also the
session pages of sessions not stored yet or whose overview row changed; one transaction per day),
``drift`` (re-read the overviews of stored days; vanished sessions are marked removed;
``-a refresh=1`` also ingests what is new), ``retry`` (the session pages in the retry log).

``-a fresh=1`` (what ``mre sync`` passes) reads month views and day overviews past the HTTP cache.

Routing only: which pages, in which order, with which ids in meta. The day's advisory lock is
taken here (before its session pages are requested) so a second process never fetches a day the
first is ingesting; :class:`mre_crawler.practice.pipeline.PracticePipeline` writes and unlocks.

The callbacks are :class:`PracticeRoutes`, which read each request's job (track, mode, range:
:class:`~mre_crawler.practice.job.PracticeJob`) from its meta, so the shared-crawl worker
(``spiders/worker.py``) runs them for practice requests it takes from Redis.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from mre_crawler.practice import source_event_id
from mre_crawler.practice.discovery import DiscoveredDay, overview_summary
from mre_crawler.practice.ingest import DayBundle, DayOutcome
from mre_crawler.practice.job import PracticeJob
from mre_crawler.practice.pipeline import (DayDiscovered, DayDrift, DayReady, PracticeDashboard, PracticeReport,
                                           practice_db)
from mre_crawler.practice.ranges import day_range
from mre_crawler.urls import check_slug, dashboard_url, practice_day_url, practice_month_url, practice_session_url
from spiders.base import LiveRCSpider, failure_reason

MODES = ("discover", "ingest", "drift", "retry")


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def stored_days(conn: Any, job: PracticeJob) -> list[dt.date]:
    """The days ``mre practice drift`` re-reads: the job's track's stored days (in its range)."""
    query = "SELECT practice_date FROM mre.practice_days WHERE track_slug = %s AND removed_at IS NULL"
    params: list[Any] = [job.track_slug]
    if job.range is not None:
        query += " AND practice_date BETWEEN %s AND %s"
        params += [job.range.first, job.range.last]
    return [day for (day,) in conn.execute(query + " ORDER BY practice_date", params).fetchall()]


def retry_days(conn: Any, job: PracticeJob, day: dt.date | None = None) -> list[tuple[dt.date, list[int]]]:
    """The days ``mre practice retry`` does, each with the session ids of its open retry-log rows
    (only ``day``'s when given)."""
    query = ("SELECT practice_date, array_agg(session_id ORDER BY session_id) FROM mre.practice_retry "
             "WHERE track_slug = %s AND resolved_at IS NULL")
    params: list[Any] = [job.track_slug]
    if day is not None:
        query += " AND practice_date = %s"
        params.append(day)
    elif job.range is not None:
        query += " AND practice_date BETWEEN %s AND %s"
        params += [job.range.first, job.range.last]
    return [(d, list(sids)) for d, sids in
            conn.execute(query + " GROUP BY practice_date ORDER BY practice_date", params).fetchall()]


class PracticeRoutes(LiveRCSpider):
    """The practice pages' requests and callbacks; each request carries its job in meta.

    State kept by the process that reads a day's overview: the day's bundle (overview and the
    session pages fetched for it) until the practice pipeline writes it in one transaction."""

    lock_wait: float = 5.0

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.report = PracticeReport()
        self._days: dict[str, DayBundle] = {}
        self._pending: dict[str, set[int]] = {}

    @staticmethod
    def job_of(meta: dict[str, Any]) -> PracticeJob:
        job = PracticeJob.from_meta(meta)
        assert job is not None, "a practice request without its job in meta"
        return job

    # -- hooks: a single practice run keeps these itself; a shared-crawl worker in Redis ----------
    def month_read(self, job: PracticeJob) -> None:
        """A month view of ``job``'s range was read."""

    def month_not_read(self, job: PracticeJob, request: scrapy.Request, reason: str) -> None:
        """A month view of ``job`` failed: a failure only when no month view of the range is read."""

    def day_taken(self, response: Response) -> None:
        """This process holds the day of ``response`` (its lock) until the pipeline writes it."""

    def day_busy(self, job: PracticeJob, day: dt.date, response: Response | None) -> None:
        key = source_event_id(job.track_slug, day)
        state = practice_db(self.crawler).stored_state(job.track_slug, day)
        self.report.outcomes.append(DayOutcome(key, day, "busy", state=state))
        self.logger.warning("practice day %s is being ingested by another process; reporting what is stored", key)
        self.crawler.stats.inc_value("mre/practice/days_busy")
        self.crawler.stats.inc_value("mre/practice/days_done")

    # -- first requests ---------------------------------------------------------------------------
    def dashboard_request(self, job: PracticeJob, **meta: Any) -> scrapy.Request:
        """The track's dashboard, for its time zone (needed before any time is stored)."""
        return scrapy.Request(dashboard_url(job.track_slug), callback=self.parse_practice_dashboard,
                              errback=self.practice_dashboard_failed,
                              meta={"page_type": "track_dashboard", **job.meta(), **meta})

    def first_requests(self, job: PracticeJob) -> Iterator[scrapy.Request]:
        if job.mode == "drift":
            yield from self.drift_requests(job)
        elif job.mode in ("discover", "ingest"):
            assert job.range is not None
            if job.single_day:
                yield self.day_request(job, job.range.first, None)
            else:
                # The first month view lists every month with sessions (select#available_session_months,
                # FIELD-GUIDE §8): the others are only requested when they have sessions.
                yield self.month_request(job, job.range.months[0], first=True)

    def drift_requests(self, job: PracticeJob) -> Iterator[scrapy.Request]:
        for day in stored_days(practice_db(self.crawler).conn, job):
            yield self.day_request(job, day, None)

    def parse_practice_dashboard(self, response: Response) -> Iterator[Any]:
        result = self.parsed(response)
        if result is not None:
            # Written by the practice pipeline before the first requests below are scheduled.
            yield from (PracticeDashboard(page) for page in self.envelope(response, result))
        yield from self.first_requests(self.job_of(response.meta))

    def practice_dashboard_failed(self, failure: Failure) -> Iterator[Any]:
        self.page_failed(failure)  # listed; times are then stored without a zone (flagged no_zone)
        yield from self.first_requests(self.job_of(failure.request.meta))

    def used(self, result: Any) -> None:
        """A parsed page whose item went into a record (crawl health counts items per page)."""
        self.crawler.stats.inc_value("mre/items/yielded", len(result.items))

    # -- month view and day overviews -----------------------------------------------------------
    def month_request(self, job: PracticeJob, month: str, first: bool = False) -> scrapy.Request:
        return scrapy.Request(practice_month_url(job.track_slug, month), callback=self.parse_month,
                              errback=self.month_failed,
                              meta={"page_type": "practice_month", "month": month, "first_month": first,
                                    **job.meta(), **job.fresh_meta()})

    def month_failed(self, failure: Failure) -> Iterator[Any]:
        # Held back: a month without sessions may have no page at all; it only counts as a failure
        # when no month view of the range could be read (month_not_read).
        job = self.job_of(failure.request.meta)
        self.month_not_read(job, failure.request, failure_reason(failure))
        self.crawler.stats.inc_value("mre/pages/failed/practice_month")
        if failure.request.meta.get("first_month"):
            assert job.range is not None
            for month in job.range.months[1:]:
                yield self.month_request(job, month)

    def day_request(self, job: PracticeJob, day: dt.date, month_count: int | None) -> scrapy.Request:
        if hasattr(self, "crawler"):  # not when an enqueue builds it (mre_crawler.workers.enqueue)
            self.crawler.stats.inc_value("mre/practice/days_planned")
        callback = {"discover": self.parse_day_discover, "ingest": self.parse_day,
                    "drift": self.parse_day if job.refresh else self.parse_day_drift}[job.mode]
        return scrapy.Request(practice_day_url(job.track_slug, day), callback=callback, errback=self.day_failed,
                              meta={"page_type": "practice_day_overview", "date": day.isoformat(),
                                    "month_session_count": month_count, **job.meta(), **job.fresh_meta()})

    def parse_month(self, response: Response) -> Iterator[Any]:
        result = self.parsed(response)
        if result is None:
            return
        job = self.job_of(response.meta)
        assert job.range is not None
        self.month_read(job)
        self.used(result)
        if response.meta.get("first_month"):
            available = set(result.item.available_months)
            for month in job.range.months[1:]:
                if not available or month in available:
                    yield self.month_request(job, month)
                else:
                    self.skip("practice_month/no_sessions")
        for ref in result.item.days:
            if ref.date in job.range:
                yield self.day_request(job, ref.date, ref.session_count)
            else:
                self.skip("practice_day/outside_range")

    def day_failed(self, failure: Failure) -> Iterator[Any]:
        self.page_failed(failure)
        meta = failure.request.meta
        job = self.job_of(meta)
        day = dt.date.fromisoformat(meta["date"])
        if job.mode == "discover":
            yield DayDiscovered(DiscoveredDay(job.track_slug, day, meta.get("month_session_count"),
                                              overview_error=failure_reason(failure)))
        else:
            self.crawler.stats.inc_value("mre/practice/days_done")

    def _overview(self, response: Response):
        result = self.parsed(response)
        if result is None:  # quarantined: listed in failures
            self.crawler.stats.inc_value("mre/practice/days_done")
            return None
        self.used(result)
        return result.item

    def parse_day_discover(self, response: Response) -> Iterator[Any]:
        result = self.parsed(response)
        job = self.job_of(response.meta)
        day = dt.date.fromisoformat(response.meta["date"])
        found = DiscoveredDay(job.track_slug, day, response.meta.get("month_session_count"))
        if result is None:
            found.overview_error = "quarantined: unreadable day overview"
        else:
            self.used(result)
            found.overview = result.item
            found.summary = overview_summary(result.item)
        yield DayDiscovered(found)

    async def lock_day(self, key: str) -> bool:
        """The day's advisory lock; a day another process holds is waited for briefly, then left."""
        db = practice_db(self.crawler)
        deadline = time.monotonic() + self.lock_wait
        while not db.try_lock(key):
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.1)
        return True

    async def parse_day(self, response: Response) -> AsyncIterator[Any]:
        overview = self._overview(response)
        if overview is None:
            return
        job = self.job_of(response.meta)
        key = source_event_id(job.track_slug, overview.date)
        if not await self.lock_day(key):
            self.day_busy(job, overview.date, response)
            return
        self.day_taken(response)
        db = practice_db(self.crawler)
        bundle = DayBundle(job.track_slug, overview.date, overview, overview_url=response.url)
        need = db.plan_details(overview)
        self.crawler.stats.inc_value("mre/practice/details_planned", len(need))
        self.skip("practice_session/already_stored", len(overview.sessions) - len(need))
        claim = response.meta.get("mre_claim")
        if not need:
            yield DayReady(bundle, claim)
            return
        self._days[key], self._pending[key] = bundle, set(need)
        for sid in need:
            yield self.session_request(job, sid, key, claim)

    async def parse_day_drift(self, response: Response) -> AsyncIterator[Any]:
        overview = self._overview(response)
        if overview is None:
            return
        job = self.job_of(response.meta)
        if not await self.lock_day(source_event_id(job.track_slug, overview.date)):
            self.day_busy(job, overview.date, response)
            return
        self.day_taken(response)
        yield DayDrift(overview, response.meta.get("mre_claim"))

    # -- retry in a shared crawl ----------------------------------------------------------------
    def retry_day_request(self, job: PracticeJob, day: dt.date) -> scrapy.Request:
        """``mre practice retry --enqueue``: one claim per day, carried by the day's overview (a
        shared claim is a request). Its worker fetches the day's open retry-log session pages
        itself, as an in-process retry does; the overview's rows are not written (a retry is no
        ingest: what is stored stays as the retry run in one process leaves it)."""
        return scrapy.Request(practice_day_url(job.track_slug, day), callback=self.parse_day_retry,
                              errback=self.day_failed, dont_filter=True,
                              meta={"page_type": "practice_day_overview", "date": day.isoformat(), **job.meta()})

    async def parse_day_retry(self, response: Response) -> AsyncIterator[Any]:
        result = self.parsed(response)
        if result is not None:
            self.used(result)
        job = self.job_of(response.meta)
        day = dt.date.fromisoformat(response.meta["date"])
        key = source_event_id(job.track_slug, day)
        if not await self.lock_day(key):
            self.day_busy(job, day, response)
            return
        db = practice_db(self.crawler)
        # Read under the day's lock: a retry (or ingest) that ran since the enqueue resolved what it stored.
        found = retry_days(db.conn, job, day)
        sids = found[0][1] if found else []
        if not sids:
            db.unlock(key)
            self.crawler.stats.inc_value("mre/practice/days_done")
            return
        self.day_taken(response)
        claim = response.meta.get("mre_claim")
        self._days[key], self._pending[key] = DayBundle(job.track_slug, day, None), set(sids)
        self.crawler.stats.inc_value("mre/practice/details_planned", len(sids))
        for sid in sids:
            yield self.session_request(job, sid, key, claim)

    # -- session pages ---------------------------------------------------------------------------
    def session_request(self, job: PracticeJob, session_id: int, key: str, claim: int | None = None) -> scrapy.Request:
        # ``mre_claim``: in a shared-crawl worker, the day's claim: its session pages stay in the
        # worker that holds the day (mre_crawler.workers.scheduler), never go through Redis.
        return scrapy.Request(practice_session_url(job.track_slug, session_id), callback=self.parse_session,
                              errback=self.session_failed,
                              meta={"page_type": "practice_session", "session_id": session_id, "day_key": key,
                                    **job.meta(), **({"mre_claim": claim} if claim is not None else {})})

    def parse_session(self, response: Response) -> Iterator[Any]:
        key, sid = response.meta["day_key"], response.meta["session_id"]
        result = self.parsed(response)
        if result is None:
            self._days[key].failures[sid] = "quarantined: unreadable session page"
        else:
            self.used(result)
            self._days[key].details[sid] = result.item
            self.crawler.stats.inc_value("mre/practice/details_fetched")
        yield from self._session_done(key, sid, response.meta.get("mre_claim"))

    def session_failed(self, failure: Failure) -> Iterator[Any]:
        self.page_failed(failure)
        key, sid = failure.request.meta["day_key"], failure.request.meta["session_id"]
        self._days[key].failures[sid] = failure_reason(failure)
        yield from self._session_done(key, sid, failure.request.meta.get("mre_claim"))

    def _session_done(self, key: str, sid: int, claim: int | None) -> Iterator[Any]:
        pending = self._pending[key]
        pending.discard(sid)
        if not pending:
            del self._pending[key]
            yield DayReady(self._days.pop(key), claim)


class PracticeSpider(PracticeRoutes):
    name = "practice"
    custom_settings = {"ITEM_PIPELINES": {"mre_crawler.practice.pipeline.PracticePipeline": 300}}

    def __init__(self, track: str | None = None, mode: str = "ingest", date_from: str | None = None,
                 date_to: str | None = None, date: str | None = None, refresh: str | None = None,
                 lock_wait: str | float = 5.0, fresh: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if not track:
            raise ValueError("give -a track=SLUG")
        if mode not in MODES:
            raise ValueError(f"-a mode= must be one of {', '.join(MODES)}, not {mode!r}")
        self.track_slug = check_slug(track)
        self.mode = mode
        # ``fresh=1`` (``mre sync``): month views and day overviews come from LiveRC, past the HTTP cache.
        self.job = PracticeJob(self.track_slug, mode,
                               day_range(date_from, date_to, date, required=mode in ("discover", "ingest")),
                               single_day=date is not None, refresh=_flag(refresh), fresh=_flag(fresh))
        self.range = self.job.range
        self.lock_wait = float(lock_wait)
        self._month_failures: list[tuple[str, str]] = []
        self._months_read = 0
        # Practice pages have a daily budget of their own (persisted like the crawl's, per track).
        self.budget_key = self.job.budget_key

    # -- start ---------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        db = practice_db(self.crawler)
        if self.mode in ("ingest", "drift") and not db.track(self.track_slug)[2]:
            # The track's zone (from its dashboard address) is needed before any time is stored.
            yield self.dashboard_request(self.job)
            return
        for request in self.first_requests(self.job):
            yield request
        if self.mode == "retry":
            async for request in self.retry_requests():
                yield request

    def month_read(self, job: PracticeJob) -> None:
        self._months_read += 1

    def month_not_read(self, job: PracticeJob, request: scrapy.Request, reason: str) -> None:
        self._month_failures.append((request.url, reason))

    def closed(self, reason: str) -> None:
        if self._month_failures and not self._months_read:
            self.failures.extend(self._month_failures)
        else:
            self.skip("practice_month/no_page", len(self._month_failures))

    async def retry_requests(self) -> AsyncIterator[scrapy.Request]:
        for day, sids in retry_days(practice_db(self.crawler).conn, self.job):
            self.crawler.stats.inc_value("mre/practice/days_planned")
            key = source_event_id(self.track_slug, day)
            if not await self.lock_day(key):
                self.day_busy(self.job, day, None)
                continue
            self._days[key], self._pending[key] = DayBundle(self.track_slug, day, None), set(sids)
            self.crawler.stats.inc_value("mre/practice/details_planned", len(sids))
            for sid in sids:
                yield self.session_request(self.job, sid, key)
