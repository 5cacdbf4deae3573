"""What a practice request belongs to: track, mode, range, freshness and budget key, in its meta.

The ``practice`` spider runs one job for its whole life, but a shared-crawl worker (issue 11)
takes practice requests of many jobs from Redis, each on its own: every practice request carries
its job in ``meta["mre_practice"]`` (plain values, so it survives the Redis queue), and every
practice callback reads the job from the response, not from the spider.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from mre_crawler.practice.ranges import DayRange

META_KEY = "mre_practice"


@dataclass(frozen=True)
class PracticeJob:
    track_slug: str
    mode: str  # discover | ingest | drift | retry
    range: DayRange | None
    single_day: bool = False
    refresh: bool = False  # drift: also ingest what is new
    fresh: bool = False  # month views and day overviews past the HTTP cache (``mre sync``)
    # The daily budget of ``<slug>/practice`` where no per-track limit is stored (MRE_PRACTICE_DAILY_BUDGET).
    budget: int | None = None
    # The track's request-rate ceiling for the job's pages where no per-track limit is stored
    # (MRE_PRACTICE_RATE_PER_MINUTE of the process that enqueued it).
    rate: float | None = None

    @property
    def budget_key(self) -> str:
        """Practice pages have a daily budget of their own (persisted like the crawl's, per track)."""
        return f"{self.track_slug}/practice"

    @property
    def key(self) -> str:
        """Names the job among a shared crawl's practice jobs (its month-view bookkeeping in Redis)."""
        span = f"{self.range.first}..{self.range.last}" if self.range is not None else "stored"
        return f"{self.track_slug}/{self.mode}/{span}"

    def meta(self) -> dict[str, Any]:
        """The meta every request of the job carries (the job itself, its budget, its freshness)."""
        job = {"track": self.track_slug, "mode": self.mode, "single_day": self.single_day, "refresh": self.refresh,
               "fresh": self.fresh, "budget": self.budget, "rate": self.rate,
               "from": self.range.first.isoformat() if self.range is not None else None,
               "to": self.range.last.isoformat() if self.range is not None else None}
        out: dict[str, Any] = {META_KEY: job, "track_slug": self.track_slug, "mre_budget_key": self.budget_key}
        if self.budget is not None:
            out["mre_budget_default"] = self.budget
        if self.rate is not None:
            out["mre_rate_default"] = self.rate
        return out

    def fresh_meta(self) -> dict[str, Any]:
        """For month views and day overviews: ``fresh`` reads them past the HTTP cache (24 h / 1 h),
        so a day or session that appeared since the last look is seen at once."""
        return {"dont_cache": True} if self.fresh else {}

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> PracticeJob | None:
        job = meta.get(META_KEY)
        if job is None:
            return None
        span = None
        if job.get("from") and job.get("to"):
            span = DayRange(dt.date.fromisoformat(job["from"]), dt.date.fromisoformat(job["to"]))
        return cls(job["track"], job["mode"], span, bool(job.get("single_day")), bool(job.get("refresh")),
                   bool(job.get("fresh")), job.get("budget"), job.get("rate"))
