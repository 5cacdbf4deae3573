"""The practice spider's item pipeline: hands each collected day to the writers.

The ``practice`` spider yields envelopes, not rows: :class:`DayReady` (a day's overview and the
session pages fetched for it, written in one transaction), :class:`DayDrift` (an overview to
compare with what is stored), :class:`DayDiscovered` (a discovery record) and the track's
dashboard as a :class:`PracticeDashboard` (stored at once through the core store, which derives
the track's time zone). The spider takes the day's advisory lock before yielding a day; this
pipeline releases it once the day's transaction has ended, committed or not.

In a shared-crawl worker (issue 11) a day came from a claim in Redis (``claim``): the claim is
settled here, when the day's transaction has ended (acked when it committed or failed for a
reason of its own, which is listed; given back when the database connection was lost).

Setting: ``MRE_DATABASE_URL`` (else the environment / embedded server).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any


from mre_crawler import items as it
from mre_crawler.practice import discovery
from mre_crawler.practice.discovery import DiscoveredDay
from mre_crawler.practice.ingest import DayBundle, DayOutcome, PracticeDB

logger = logging.getLogger(__name__)


@dataclass
class DayReady:
    bundle: DayBundle
    claim: int | None = None  # the shared-crawl claim of the day's overview (a worker's)


@dataclass
class DayDrift:
    overview: it.PracticeDay
    claim: int | None = None


@dataclass
class PracticeDashboard:
    page: it.PageItem


@dataclass
class DayDiscovered:
    found: DiscoveredDay


@dataclass
class PracticeReport:
    """What a run did, day by day; the command prints it."""

    discovered: list[DiscoveredDay] = field(default_factory=list)
    outcomes: list[DayOutcome] = field(default_factory=list)
    store_failures: list[tuple[str, str]] = field(default_factory=list)


def practice_db(crawler: Any) -> PracticeDB:
    """The crawl's one practice connection (locks are held on it), closed with the spider."""
    from mre_crawler.extensions.bookkeeping import crawler_resource, database_url_for

    db = crawler_resource(crawler, "_mre_practice_db", lambda: PracticeDB.connect(database_url_for(crawler)))
    if db.run_id is None:
        run_id = crawler.stats.get_value("mre/run_id")
        db.run_id = int(run_id) if run_id is not None else None
    return db


class PracticePipeline:
    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> PracticePipeline:
        return cls(crawler)

    @property
    def report(self) -> PracticeReport:
        return self.crawler.spider.report

    def process_item(self, item: Any) -> Any:
        db = practice_db(self.crawler)
        if isinstance(item, PracticeDashboard):
            self._store_track(db, item.page)
        elif isinstance(item, DayReady):
            self._write(db, item.bundle.source_event_id, lambda: db.write_day(item.bundle), item.claim,
                        item.bundle.overview_url)
        elif isinstance(item, DayDrift):
            from mre_crawler.practice import source_event_id
            from mre_crawler.urls import practice_day_url

            key = source_event_id(item.overview.track_slug, item.overview.date)
            self._write(db, key, lambda: db.drift_day(item.overview), item.claim,
                        practice_day_url(item.overview.track_slug, item.overview.date))
        elif isinstance(item, DayDiscovered):
            discovery.record(db.conn, item.found, db.run_id)
            self.report.discovered.append(item.found)
            self.stats.inc_value("mre/practice/days_done")
        return item

    def _store_track(self, db: PracticeDB, page: it.PageItem) -> None:
        from mre_crawler.store import Store

        store = Store(db.conn)
        counts = store.write_page(page)
        store.flush()
        self.stats.inc_value("mre/practice/rows_changed", counts.changed)

    def _write(self, db: PracticeDB, key: str, write, claim: int | None = None, url: str | None = None) -> None:
        from mre_crawler.extensions.dblost import database_lost, is_connection_lost, lost

        # A worker's claim is settled when the day's transaction has ended; left unsettled when
        # the database was lost (the worker stops and gives it back with its other claims).
        scheduler = getattr(self.crawler, "mre_scheduler", None) if claim is not None else None
        if lost(self.crawler):
            return
        try:
            outcome = write()
        except Exception as exc:  # noqa: BLE001 - the day's transaction rolled back; other days go on
            if is_connection_lost(exc):
                # Nothing of the day committed; the re-run ingests it whole.
                database_lost(self.crawler, exc)
                return
            reason = f"store failed: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"
            logger.warning("%s: %s", key, reason)
            self.report.store_failures.append((key, reason))
            self.stats.inc_value("mre/practice/days_failed")
            if scheduler is not None:  # a worker lists it in its own summary and in the shared list
                self.crawler.spider.failures.append((url or key, reason))
                scheduler.page_failed(claim, url or key, reason)
                scheduler.day_settled(claim)
        else:
            self.report.outcomes.append(outcome)
            self.stats.inc_value("mre/practice/days_stored" if outcome.status == "stored" else "mre/practice/days_drift")
            self.stats.inc_value("mre/practice/rows_changed", outcome.rows_changed)
            self.stats.inc_value("mre/practice/details_stored", outcome.details_stored)
            self.stats.inc_value("mre/practice/details_failed", len(outcome.details_failed))
            if scheduler is not None:
                scheduler.day_settled(claim)
        finally:
            if not lost(self.crawler):
                db.unlock(key)
            self.stats.inc_value("mre/practice/days_done")
