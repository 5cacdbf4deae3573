"""Run the ``practice`` spider with the practice politeness defaults; store the run's metrics.

Politeness for practice pages sits on top of the crawl's (mre_crawler/middlewares/): the same
rate ceiling, daily budget, Retry-After handling, retries with backoff and page-type cache expiry
(practice month 24 h, day overview 1 h, session page 15 min, keyed by the LiveRC URL, i.e. per
track and date). What differs is the defaults and the budget's ledger:

- ``MRE_PRACTICE_RATE_PER_MINUTE`` (default 10): the track's request-rate ceiling for the run;
- ``MRE_PRACTICE_DAILY_BUDGET`` (default 100): requests per UTC day, counted in the persisted
  ledger under ``<slug>/practice`` so practice runs and results crawls do not eat each other's
  budget (per-track overrides: ``mre crawl limits <slug>/practice --budget N``);
- ``MRE_PRACTICE_LOCK_WAIT`` (default 5 s): how long a process waits for a day another process
  is ingesting before reporting it busy.

As for every crawl, the ceiling and budget are off for a loopback ``--site`` unless ``--polite``.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from psycopg.types.json import Jsonb

from mre_crawler.crawl import CrawlResult, live_stats, run_crawl
from mre_crawler.practice.pipeline import PracticeReport

# name: (default, meaning) — the practice settings, read from the settings given or the environment.
PRACTICE_SETTINGS: dict[str, tuple[str, str]] = {
    "MRE_PRACTICE_RATE_PER_MINUTE": ("10", "practice pages: per-track request-rate ceiling, requests per minute"),
    "MRE_PRACTICE_DAILY_BUDGET": ("100", "practice pages: per-track requests per UTC day (own ledger: <slug>/practice)"),
    "MRE_PRACTICE_LOCK_WAIT": ("5", "seconds to wait for a practice day another process is ingesting"),
}


def practice_setting(name: str, settings: Mapping[str, Any]) -> str:
    """A practice setting (from ``settings``, else the environment, else its default), checked:
    a bad value is a :class:`~mre_crawler.config.ConfigError` naming this setting (one line, exit 2)."""
    from mre_crawler.config import ConfigError

    value = str(settings.get(name) or os.environ.get(name) or PRACTICE_SETTINGS[name][0]).strip()
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {value!r}") from None
    if not number > 0:
        raise ConfigError(f"{name} must be above 0, not {value}")
    return value


def crawl_overrides(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The crawl settings for a practice run: the practice rate and budget become the crawl's."""
    out = dict(settings)
    out["MRE_RATE_PER_MINUTE"] = practice_setting("MRE_PRACTICE_RATE_PER_MINUTE", settings)
    out["MRE_DAILY_BUDGET"] = practice_setting("MRE_PRACTICE_DAILY_BUDGET", settings)
    return out


def practice_defaults(settings: Mapping[str, Any]) -> tuple[float, int]:
    """(rate per minute, daily budget) practice pages get where no per-track limit is stored."""
    return (float(practice_setting("MRE_PRACTICE_RATE_PER_MINUTE", settings)),
            int(float(practice_setting("MRE_PRACTICE_DAILY_BUDGET", settings))))


def shared_job(track_slug: str, mode: str, rng: Any, settings: Mapping[str, Any], **options: Any) -> Any:
    """A practice job for the shared crawl (``--enqueue``): it carries this process's practice
    rate ceiling and budget, so whichever worker takes its pages paces and counts them as an
    in-process ``mre practice`` run here would."""
    from mre_crawler.practice.job import PracticeJob

    rate, budget = practice_defaults(settings)
    return PracticeJob(track_slug, mode, rng, budget=budget, rate=rate, **options)


@dataclass
class PracticeRun:
    mode: str
    track_slug: str
    result: CrawlResult
    report: PracticeReport
    metrics: dict[str, Any] = field(default_factory=dict)
    run_id: int | None = None
    # Sessions that appeared on days first ingested before this run: one entry per day
    # ({"day", "source_event_id", "sessions", "hours"}), set when the run's metrics are recorded.
    drift: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failures(self) -> list[tuple[str, str]]:
        return [*self.result.failures, *self.report.store_failures]

    @property
    def budget_resets_at(self) -> str | None:
        return self.result.budget_spent.get(f"{self.track_slug}/practice")


def metrics_from_stats(stats: Mapping[str, Any], track_slug: str) -> dict[str, Any]:
    def n(key: str) -> int:
        v = stats.get(key, 0)
        return int(v) if isinstance(v, (int, float)) else 0

    used_budget = stats.get(f"mre/budget/track/{track_slug}/practice")
    return {
        "requests": n("downloader/request_count"),
        "cache_hits": n("httpcache/hit"),
        "cache_misses": n("httpcache/miss"),
        "rate_limit_waits": n("mre/rate/waits"),
        # Backoff waits and waits for a track paused by Retry-After (mre_crawler.middlewares.pause).
        "retry_after_waits": n("mre/retry/waits") + n("mre/pause/waits"),
        "retries": n("retry/count"),
        "budget_used": n("mre/budget/used"),
        "budget_today": used_budget,  # "used/budget" for <slug>/practice, when the budget is on
        "retry_after_answers": n("mre/retry/retry_after/429") + n("mre/retry/retry_after/503"),
        "days": n("mre/practice/days_done"),
        "days_busy": n("mre/practice/days_busy"),
        "details_fetched": n("mre/practice/details_fetched"),
        "details_failed": n("mre/practice/details_failed"),
        "rows_changed": n("mre/practice/rows_changed"),
    }


def run_practice(
    mode: str,
    track_slug: str,
    settings: Mapping[str, Any],
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    date: dt.date | None = None,
    refresh: bool = False,
    fresh: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> PracticeRun:
    """Run one practice command; ``settings`` must hold ``MRE_DATABASE_URL`` (migrated).

    ``progress(done, planned)`` is called from this thread about five times a second while the
    crawl runs (the command draws its progress bar with it). ``fresh``: month views and day
    overviews past the HTTP cache (``mre sync``)."""
    from mre_crawler.db import connect

    args: dict[str, Any] = {"track": track_slug, "mode": mode,
                            "lock_wait": practice_setting("MRE_PRACTICE_LOCK_WAIT", settings)}
    if date is not None:
        args["date"] = date.isoformat()
    if date_from is not None:
        args["date_from"] = date_from.isoformat()
    if date_to is not None:
        args["date_to"] = date_to.isoformat()
    if refresh:
        args["refresh"] = "1"
    if fresh:
        args["fresh"] = "1"
    url = settings["MRE_DATABASE_URL"]
    with connect(url, autocommit=True) as conn:
        run_id = conn.execute(
            """INSERT INTO mre.practice_runs (command, track_slug, date_from, date_to, args)
               VALUES (%s, %s, %s, %s, %s) RETURNING run_id""",
            (mode, track_slug, date or date_from, date or date_to, Jsonb(args)),
        ).fetchone()[0]
    box: dict[str, Any] = {}
    outcome: dict[str, Any] = {}

    def crawl() -> None:
        try:
            outcome["result"] = run_crawl("practice", args, crawl_overrides(settings),
                                          on_crawler=lambda c: box.setdefault("crawler", c))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=crawl, name="mre-practice", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.2)
        stats = live_stats(box.get("crawler"))
        if progress is not None and stats is not None:
            progress(int(stats.get_value("mre/practice/days_done", 0)),
                     int(stats.get_value("mre/practice/days_planned", 0)))
    if "error" in outcome:
        raise outcome["error"]
    result: CrawlResult = outcome["result"]
    report = box["crawler"].spider.report
    run = PracticeRun(mode, track_slug, result, report, metrics_from_stats(result.stats, track_slug), run_id)
    _finish(url, run)
    return run


def _finish(url: str, run: PracticeRun) -> None:
    from mre_crawler.db import connect

    m = run.metrics
    stored = sum(o.sessions for o in run.report.outcomes if o.status == "stored")
    crawl_run = run.result.stats.get("mre/run_id")
    with connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute(
            """UPDATE mre.practice_runs SET finished_at = now(), finish_reason = %s, crawl_run_id = %s, days = %s,
                   days_busy = %s, sessions_stored = %s, details_fetched = %s, details_failed = %s,
                   rows_changed = %s, requests = %s, cache_hits = %s, cache_misses = %s, rate_limit_waits = %s,
                   retry_after_waits = %s, retries = %s, budget_used = %s, budget_resets_at = %s, failures = %s
               WHERE run_id = %s""",
            (run.result.stats.get("finish_reason"), crawl_run, m["days"], m["days_busy"], stored,
             m["details_fetched"], m["details_failed"], m["rows_changed"], m["requests"], m["cache_hits"],
             m["cache_misses"], m["rate_limit_waits"], m["retry_after_waits"], m["retries"], m["budget_used"],
             run.budget_resets_at, len(run.failures), run.run_id),
        )
        if run.failures:
            with conn.cursor().copy("COPY mre.practice_run_failures (run_id, url, reason) FROM STDIN") as copy:
                for u, reason in run.failures:
                    copy.write_row((run.run_id, u, reason))
        record_metrics(conn, run)


def record_metrics(conn, run: PracticeRun) -> None:  # noqa: ANN001
    """One ``mre.run_metrics`` row (kind ``practice-<mode>``) and one JSON-log event per
    discovery / ingestion, in the caller's transaction (issue 10)."""
    import datetime as _dt

    from mre_crawler import run_metrics
    from mre_crawler.eventlog import emit

    r, m = run.report, run.metrics
    stats = run.result.stats
    started = stats.get("start_time") or _dt.datetime.now(_dt.timezone.utc)
    finished = stats.get("finish_time") or _dt.datetime.now(_dt.timezone.utc)
    ok_days = [o for o in r.outcomes if o.status == "stored" and not o.details_failed]
    failed_days = [o for o in r.outcomes if o.status == "stored" and o.details_failed]
    run.drift = drift_days(conn, run, started, finished)
    metrics = {
        **{k: v for k, v in m.items() if isinstance(v, (int, float))},
        "discovery_requests": int(m.get("requests") or 0) if run.mode == "discover" else 0,
        "discovery_results": len(r.discovered),
        "discovery_failed": len(run.result.failures) if run.mode == "discover" else 0,
        "ingest_ok": len(ok_days),
        "ingest_failed": len(failed_days) + len(r.store_failures),
        "drift_sessions": sum(d["sessions"] for d in run.drift),
        "drift_max_hours": max((d["hours"] for d in run.drift), default=0),
        "pages_failed": len(run.failures),
        "duration_s": round((finished - started).total_seconds(), 3),
    }
    if run.mode == "discover":
        emit("discovery", track=run.track_slug, range=f"{run.result.args.get('date_from')}..{run.result.args.get('date_to')}",
             results=len(r.discovered), requests=m.get("requests"), practice_run_id=run.run_id,
             crawl_run_id=stats.get("mre/run_id"))
    for o in r.outcomes:
        emit("ingestion", track=run.track_slug, event_id=o.source_event_id, date=o.date.isoformat(),
             status=o.status, sessions=o.sessions, new_sessions=len(o.new_sessions),
             duration_s=metrics["duration_s"], practice_run_id=run.run_id, crawl_run_id=stats.get("mre/run_id"))
    for d in run.drift:
        emit("drift", track=run.track_slug, event_id=d["source_event_id"], date=d["day"], sessions=d["sessions"],
             hours_after_ingest=d["hours"], practice_run_id=run.run_id)
    run_metrics.record(conn, f"practice-{run.mode}", run_ref=run.run_id, track_slug=run.track_slug,
                       started_at=started, finished_at=finished, ok=not run.failures, metrics=metrics)


def drift_days(conn, run: PracticeRun, started: Any, finished: Any) -> list[dict[str, Any]]:  # noqa: ANN001
    """Drift found by ``run``: per day first ingested before the run started, the sessions it
    found that the day did not have before, and how many hours after that first ingest. A day new
    to this run is not drift, however many sessions it has."""
    late = {o.source_event_id: o for o in run.report.outcomes if o.new_sessions}
    if not late:
        return []
    rows = conn.execute(
        "select source_event_id, created_at from mre.practice_days where source_event_id = any(%s) and created_at < %s",
        (list(late), started)).fetchall()
    return [{"source_event_id": key, "day": late[key].date.isoformat(), "sessions": len(late[key].new_sessions),
             "hours": round((finished - created).total_seconds() / 3600, 2)}
            for key, created in sorted(rows)]


def wait_seconds(run: PracticeRun) -> float:
    """Total seconds the run waited on the rate ceiling and on Retry-After/backoff (from its stats)."""
    s = run.result.stats
    return float(s.get("mre/rate/wait_seconds", 0) or 0) + float(s.get("mre/retry/wait_seconds", 0) or 0)
