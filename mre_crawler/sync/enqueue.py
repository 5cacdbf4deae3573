"""``mre sync --enqueue``: every followed track's plan goes into the shared Redis queue for
``mre worker`` processes, instead of being crawled here.

The plans are the ones an in-process sync makes (:mod:`mre_crawler.sync.plan`): the dashboard and
events list, fresh, and every listed event that is not settled; the settled events travel with the
events-list request, so whichever worker takes it skips them. A track followed with ``--practice``
also gets its practice window (the last ``--practice-days`` days, in ranges of at most 3 months) as
practice ingest jobs, fresh, as an in-process sync runs them (:func:`~mre_crawler.workers.enqueue.enqueue_practice`).
The warehouse is not built here (the workers are still crawling when this returns): run
``mre warehouse build`` (or a plain ``mre sync``) after them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EnqueuedTrack:
    slug: str
    added: int
    duplicates: int
    settled: int
    practice_added: int  # practice start requests (month views, or dashboards first) enqueued
    # The shared failure list as this track's enqueue found it (mre_crawler.workers.enqueue.Enqueued).
    shared_failed: tuple = ()
    shared_joined: bool = False
    plan: dict | None = None  # the track's sync plan (mre_crawler.sync.plan.TrackPlan.record())

    def record(self) -> dict[str, Any]:
        """The track's line of ``mre sync --enqueue --json``: its fields, plus the keys a track of the
        in-process ``mre sync --json`` has where they mean the same (``status``, ``plan``,
        ``failed_pages`` of the shared crawl as this enqueue found it)."""
        return {**self.__dict__, "status": "enqueued",
                "failed_pages": [{"url": url, "reason": reason} for url, reason in self.shared_failed]}


def enqueue_sync(settings: Mapping[str, Any], *, practice_days: int = 7, only: list[str] | None = None,
                 today: dt.date | None = None) -> list[EnqueuedTrack]:
    from mre_crawler import rollout_lock
    from mre_crawler.config import CrawlConfig
    from mre_crawler.crawl import crawl_settings
    from mre_crawler.db import connect
    from mre_crawler.following import following
    from mre_crawler.practice.ingest import PracticeDB
    from mre_crawler.practice.ranges import DayRange
    from mre_crawler.practice.runner import shared_job
    from mre_crawler.sync.plan import plan_track
    from mre_crawler.sync.runner import LOCK_NAME, practice_windows
    from mre_crawler.workers.enqueue import enqueue_practice, enqueue_start

    config = CrawlConfig.from_settings(crawl_settings(settings))
    if not config.redis_url:
        raise ValueError("--enqueue needs MRE_REDIS_URL (redis://HOST:6379/0)")
    today = today or dt.date.today()
    out = []
    with connect(settings["MRE_DATABASE_URL"], autocommit=True) as conn:
        rollout_lock.acquire(conn, LOCK_NAME, "mre sync --enqueue", "enqueue")
        try:
            for f in following(conn):
                if only and f.slug not in only:
                    continue
                plan = plan_track(conn, f.slug, since=f.since, practice=f.practice, practice_days=practice_days,
                                  today=today, finished_after_days=config.event_finished_after_days)
                done = enqueue_start("track", plan.crawl_args(), settings)
                practice_added = 0
                if plan.practice_from is not None:
                    jobs = [shared_job(f.slug, "ingest", DayRange(first, last), settings, fresh=True)
                            for first, last in practice_windows(plan.practice_from, plan.practice_to)]
                    practice_added = enqueue_practice(jobs, PracticeDB(conn).track(f.slug)[2], settings).added
                out.append(EnqueuedTrack(f.slug, done.added, done.already_seen, len(plan.settled_events),
                                         practice_added, done.failed, done.joined, plan.record()))
        finally:
            rollout_lock.release(conn, LOCK_NAME)
    return out
