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
from mre_crawler.practice.pipeline import DayDiscovered, DayDrift, DayReady, PracticeReport, practice_db
from mre_crawler.practice.ranges import DayRange, day_range
from mre_crawler.urls import check_slug, dashboard_url, practice_day_url, practice_month_url, practice_session_url
from spiders.base import LiveRCSpider, failure_reason

MODES = ("discover", "ingest", "drift", "retry")


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class PracticeSpider(LiveRCSpider):
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
        self.range: DayRange | None = day_range(date_from, date_to, date, required=mode in ("discover", "ingest"))
        self.single_day = date is not None
        self.refresh = _flag(refresh)
        self.lock_wait = float(lock_wait)
        # ``fresh=1`` (``mre sync``): month views and day overviews come from LiveRC, past the HTTP
        # cache (24 h / 1 h), so a day or session that appeared since the last look is seen at once.
        self.fresh = {"dont_cache": True} if _flag(fresh) else {}
        self.report = PracticeReport()
        self._days: dict[str, DayBundle] = {}
        self._pending: dict[str, set[int]] = {}
        self._month_failures: list[tuple[str, str]] = []
        self._months_read = 0
        # Practice pages have a daily budget of their own (persisted like the crawl's, per track).
        self.budget_key = f"{self.track_slug}/practice"

    # -- start ---------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        db = practice_db(self.crawler)
        if self.mode in ("ingest", "drift") and not db.track(self.track_slug)[2]:
            # The track's zone (from its dashboard address) is needed before any time is stored.
            yield scrapy.Request(dashboard_url(self.track_slug), callback=self.parse_dashboard,
                                 errback=self.dashboard_failed,
                                 meta={"page_type": "track_dashboard", "track_slug": self.track_slug,
                                       "mre_budget_key": self.budget_key})
            return
        for request in self.first_requests():
            yield request
        if self.mode == "retry":
            async for request in self.retry_requests():
                yield request

    def first_requests(self) -> Iterator[scrapy.Request]:
        if self.mode == "drift":
            yield from self.drift_requests()
        elif self.mode in ("discover", "ingest"):
            assert self.range is not None
            if self.single_day:
                yield self.day_request(self.range.first, None)
            else:
                # The first month view lists every month with sessions (select#available_session_months,
                # FIELD-GUIDE §8): the others are only requested when they have sessions.
                yield self.month_request(self.range.months[0], first=True)

    def month_request(self, month: str, first: bool = False) -> scrapy.Request:
        return scrapy.Request(practice_month_url(self.track_slug, month), callback=self.parse_month,
                              errback=self.month_failed,
                              meta={"page_type": "practice_month", "track_slug": self.track_slug, "month": month,
                                    "first_month": first, "mre_budget_key": self.budget_key, **self.fresh})

    def month_failed(self, failure: Failure) -> Iterator[Any]:
        # Held back: a month without sessions may have no page at all; it only counts as a failure
        # when no month view of the range could be read (see closed()).
        self._month_failures.append((failure.request.url, failure_reason(failure)))
        self.crawler.stats.inc_value("mre/pages/failed/practice_month")
        if failure.request.meta.get("first_month"):
            assert self.range is not None
            for month in self.range.months[1:]:
                yield self.month_request(month)

    def closed(self, reason: str) -> None:
        if self._month_failures and not self._months_read:
            self.failures.extend(self._month_failures)
        else:
            self.skip("practice_month/no_page", len(self._month_failures))

    def parse_dashboard(self, response: Response) -> Iterator[Any]:
        result = self.parsed(response)
        if result is not None:
            yield from self.envelope(response, result)
        yield from self.first_requests()

    def dashboard_failed(self, failure: Failure) -> Iterator[Any]:
        self.page_failed(failure)  # listed; times are then stored without a zone (flagged no_zone)
        yield from self.first_requests()

    def used(self, result: Any) -> None:
        """A parsed page whose item went into a record (crawl health counts items per page)."""
        self.crawler.stats.inc_value("mre/items/yielded", len(result.items))

    # -- month view and day overviews -----------------------------------------------------------
    def day_request(self, day: dt.date, month_count: int | None) -> scrapy.Request:
        self.crawler.stats.inc_value("mre/practice/days_planned")
        callback = {"discover": self.parse_day_discover, "ingest": self.parse_day,
                    "drift": self.parse_day if self.refresh else self.parse_day_drift}[self.mode]
        return scrapy.Request(practice_day_url(self.track_slug, day), callback=callback, errback=self.day_failed,
                              meta={"page_type": "practice_day_overview", "track_slug": self.track_slug,
                                    "date": day.isoformat(), "month_session_count": month_count,
                                    "mre_budget_key": self.budget_key, **self.fresh})

    def parse_month(self, response: Response) -> Iterator[Any]:
        result = self.parsed(response)
        if result is None:
            return
        assert self.range is not None
        self._months_read += 1
        self.used(result)
        if response.meta.get("first_month"):
            available = set(result.item.available_months)
            for month in self.range.months[1:]:
                if not available or month in available:
                    yield self.month_request(month)
                else:
                    self.skip("practice_month/no_sessions")
        for ref in result.item.days:
            if ref.date in self.range:
                yield self.day_request(ref.date, ref.session_count)
            else:
                self.skip("practice_day/outside_range")

    def day_failed(self, failure: Failure) -> Iterator[Any]:
        self.page_failed(failure)
        meta = failure.request.meta
        day = dt.date.fromisoformat(meta["date"])
        if self.mode == "discover":
            yield DayDiscovered(DiscoveredDay(self.track_slug, day, meta.get("month_session_count"),
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
        day = dt.date.fromisoformat(response.meta["date"])
        found = DiscoveredDay(self.track_slug, day, response.meta.get("month_session_count"))
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

    def day_busy(self, day: dt.date) -> None:
        key = source_event_id(self.track_slug, day)
        state = practice_db(self.crawler).stored_state(self.track_slug, day)
        self.report.outcomes.append(DayOutcome(key, day, "busy", state=state))
        self.logger.warning("practice day %s is being ingested by another process; reporting what is stored", key)
        self.crawler.stats.inc_value("mre/practice/days_busy")
        self.crawler.stats.inc_value("mre/practice/days_done")

    async def parse_day(self, response: Response) -> AsyncIterator[Any]:
        overview = self._overview(response)
        if overview is None:
            return
        key = source_event_id(self.track_slug, overview.date)
        if not await self.lock_day(key):
            self.day_busy(overview.date)
            return
        db = practice_db(self.crawler)
        bundle = DayBundle(self.track_slug, overview.date, overview, overview_url=response.url)
        need = db.plan_details(overview)
        self.crawler.stats.inc_value("mre/practice/details_planned", len(need))
        self.skip("practice_session/already_stored", len(overview.sessions) - len(need))
        if not need:
            yield DayReady(bundle)
            return
        self._days[key], self._pending[key] = bundle, set(need)
        for sid in need:
            yield self.session_request(sid, key)

    async def parse_day_drift(self, response: Response) -> AsyncIterator[Any]:
        overview = self._overview(response)
        if overview is None:
            return
        if not await self.lock_day(source_event_id(self.track_slug, overview.date)):
            self.day_busy(overview.date)
            return
        yield DayDrift(overview)

    def drift_requests(self) -> Iterator[scrapy.Request]:
        db = practice_db(self.crawler)
        query = "SELECT practice_date FROM mre.practice_days WHERE track_slug = %s AND removed_at IS NULL"
        params: list[Any] = [self.track_slug]
        if self.range is not None:
            query += " AND practice_date BETWEEN %s AND %s"
            params += [self.range.first, self.range.last]
        for (day,) in db.conn.execute(query + " ORDER BY practice_date", params).fetchall():
            yield self.day_request(day, None)

    # -- session pages ---------------------------------------------------------------------------
    def session_request(self, session_id: int, key: str) -> scrapy.Request:
        return scrapy.Request(practice_session_url(self.track_slug, session_id), callback=self.parse_session,
                              errback=self.session_failed,
                              meta={"page_type": "practice_session", "track_slug": self.track_slug,
                                    "session_id": session_id, "day_key": key,
                                    "mre_budget_key": self.budget_key})

    def parse_session(self, response: Response) -> Iterator[Any]:
        key, sid = response.meta["day_key"], response.meta["session_id"]
        result = self.parsed(response)
        if result is None:
            self._days[key].failures[sid] = "quarantined: unreadable session page"
        else:
            self.used(result)
            self._days[key].details[sid] = result.item
            self.crawler.stats.inc_value("mre/practice/details_fetched")
        yield from self._session_done(key, sid)

    def session_failed(self, failure: Failure) -> Iterator[Any]:
        self.page_failed(failure)
        key, sid = failure.request.meta["day_key"], failure.request.meta["session_id"]
        self._days[key].failures[sid] = failure_reason(failure)
        yield from self._session_done(key, sid)

    def _session_done(self, key: str, sid: int) -> Iterator[Any]:
        pending = self._pending[key]
        pending.discard(sid)
        if not pending:
            del self._pending[key]
            yield DayReady(self._days.pop(key))

    async def retry_requests(self) -> AsyncIterator[scrapy.Request]:
        db = practice_db(self.crawler)
        query = ("SELECT practice_date, array_agg(session_id ORDER BY session_id) FROM mre.practice_retry "
                 "WHERE track_slug = %s AND resolved_at IS NULL")
        params: list[Any] = [self.track_slug]
        if self.range is not None:
            query += " AND practice_date BETWEEN %s AND %s"
            params += [self.range.first, self.range.last]
        rows = db.conn.execute(query + " GROUP BY practice_date ORDER BY practice_date", params).fetchall()
        for day, sids in rows:
            self.crawler.stats.inc_value("mre/practice/days_planned")
            key = source_event_id(self.track_slug, day)
            if not await self.lock_day(key):
                self.day_busy(day)
                continue
            self._days[key], self._pending[key] = DayBundle(self.track_slug, day, None), set(sids)
            self.crawler.stats.inc_value("mre/practice/details_planned", len(sids))
            for sid in sids:
                yield self.session_request(sid, key)
