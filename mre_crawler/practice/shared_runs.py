"""A shared-crawl worker's practice work, recorded as in-process practice runs are (issue 11).

An in-process ``mre practice ingest`` leaves one ``mre.practice_runs`` row (with its failed pages
in ``mre.practice_run_failures``), one ``mre.run_metrics`` row of kind ``practice-<mode>`` and one
``ingestion`` / ``drift`` event per day; ``mre health``'s practice rules read the metrics rows. A
worker takes practice pages of many jobs, so it keeps its share per **track and mode** and writes
the same rows for each (``args`` names the worker), through the same code
(:func:`mre_crawler.practice.runner.record_metrics`): a failed day ingestion in a worker fires
``practice_ingest_failures`` exactly as one in-process does.

They are written when the worker finds the shared crawl idle (so a worker running as a service
records each shared crawl's practice work after it) and, for what is left, when it stops. A
worker killed outright records nothing of its unrecorded share (as a killed in-process run leaves
its row unfinished); the days it stored are stored.

Measured per track and mode: days, busy days, sessions stored, session pages fetched, failures,
rows changed, responses (cache hits and misses), budget use and reset of ``<slug>/practice``.
Rate-limit waits, retries and Retry-After waits are the worker's as a whole (its crawl run's row),
not split per job: those columns stay NULL.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class PracticeShare:
    """One track and mode of a worker's practice work since it last recorded."""

    track_slug: str
    mode: str
    started: dt.datetime = field(default_factory=_now)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    outcomes: list = field(default_factory=list)  # DayOutcome
    store_failures: list[tuple[str, str]] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # pages: (URL, reason)
    responses: int = 0
    cache_hits: int = 0
    details_fetched: int = 0
    days_busy: int = 0

    def widen(self, first: dt.date | None, last: dt.date | None) -> None:
        if first is not None:
            self.date_from = first if self.date_from is None else min(self.date_from, first)
        if last is not None:
            self.date_to = last if self.date_to is None else max(self.date_to, last)


class WorkerPracticeLog:
    """What the worker spider tells it: each practice response, failure, busy day and day written."""

    def __init__(self) -> None:
        self.shares: dict[tuple[str, str], PracticeShare] = {}
        self.day_share: dict[str, tuple[str, str]] = {}  # source event id -> share key

    def share(self, job: Any) -> PracticeShare:
        key = (job.track_slug, job.mode)
        found = self.shares.get(key)
        if found is None:
            found = self.shares[key] = PracticeShare(job.track_slug, job.mode)
        if job.range is not None:
            found.widen(job.range.first, job.range.last)
        return found

    def day(self, job: Any, source_event_id: str) -> None:
        """``job`` holds this day: the pipeline's outcome for it belongs to its share."""
        self.share(job)
        self.day_share[source_event_id] = (job.track_slug, job.mode)

    def response(self, job: Any, page_type: str, status: int, cached: bool) -> None:
        share = self.share(job)
        share.responses += 1
        share.cache_hits += int(cached)
        if page_type == "practice_session" and status == 200:
            share.details_fetched += 1

    def failure(self, job: Any, url: str, reason: str) -> None:
        self.share(job).failures.append((url, reason))

    def busy(self, job: Any) -> None:
        self.share(job).days_busy += 1

    def take_report(self, report: Any) -> None:
        """Move the days the practice pipeline wrote (``report``: the spider's PracticeReport)
        into their shares."""
        for outcome in report.outcomes:
            key = self.day_share.get(outcome.source_event_id)
            if key is not None:
                self.shares[key].outcomes.append(outcome)
        for source_event_id, reason in report.store_failures:
            key = self.day_share.get(source_event_id)
            if key is not None:
                self.shares[key].store_failures.append((source_event_id, reason))
        report.outcomes.clear()
        report.store_failures.clear()

    def record(self, url: str, report: Any, stats: dict[str, Any], worker_id: str, finish_reason: str) -> list[int]:
        """Write each share's rows (as an in-process run's) and forget them; their run ids."""
        from psycopg.types.json import Jsonb

        from mre_crawler.crawl import CrawlResult
        from mre_crawler.db import connect
        from mre_crawler.practice.pipeline import PracticeReport
        from mre_crawler.practice.runner import PracticeRun, _finish

        self.take_report(report)
        shares, self.shares = self.shares, {}
        self.day_share = {k: v for k, v in self.day_share.items() if v in self.shares}
        crawl_run = stats.get("mre/run_id")
        run_ids = []
        with connect(url, autocommit=True) as conn:
            for share in shares.values():
                args = {"track": share.track_slug, "mode": share.mode, "worker": worker_id}
                if share.date_from is not None:
                    args.update(date_from=share.date_from.isoformat(), date_to=share.date_to.isoformat())
                run_id = conn.execute(
                    """INSERT INTO mre.practice_runs (command, track_slug, date_from, date_to, args, started_at)
                       VALUES (%s, %s, %s, %s, %s, %s) RETURNING run_id""",
                    (share.mode, share.track_slug, share.date_from, share.date_to, Jsonb(args), share.started),
                ).fetchone()[0]
                budget_key = f"{share.track_slug}/practice"
                result = CrawlResult("worker", args, {
                    "finish_reason": finish_reason, "mre/run_id": crawl_run, "start_time": share.started,
                    "finish_time": _now()}, list(share.failures))
                spent = stats.get(f"mre/budget/spent/{budget_key}")
                if spent:
                    result.stats[f"mre/budget/spent/{budget_key}"] = spent
                run = PracticeRun(share.mode, share.track_slug, result,
                                  PracticeReport(outcomes=share.outcomes, store_failures=share.store_failures),
                                  _metrics(share, stats), run_id)
                _finish(url, run)
                run_ids.append(run_id)
        return run_ids


def _metrics(share: PracticeShare, stats: dict[str, Any]) -> dict[str, Any]:
    """The keys of :func:`~mre_crawler.practice.runner.metrics_from_stats`, for one share; None
    where a worker does not measure a value per job."""
    return {
        "requests": share.responses,
        "cache_hits": share.cache_hits,
        "cache_misses": share.responses - share.cache_hits,
        "rate_limit_waits": None,
        "retry_after_waits": None,
        "retries": None,
        "budget_used": None,
        "budget_today": stats.get(f"mre/budget/track/{share.track_slug}/practice"),
        "retry_after_answers": None,
        "days": len(share.outcomes) + len(share.store_failures),
        "days_busy": share.days_busy,
        "details_fetched": share.details_fetched,
        "details_failed": sum(len(o.details_failed) for o in share.outcomes),
        "rows_changed": sum(o.rows_changed for o in share.outcomes),
    }
