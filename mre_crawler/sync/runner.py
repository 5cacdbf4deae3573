"""Run one ``mre sync``: every followed track's plan, then the warehouse when rows changed.

Crash consistency: each track's outcome (``sync_track_runs``, ``followed_tracks.last_sync_*`` and
the sync's ``changed`` flag) commits in one transaction after the track's crawl, whose rows the
store has already committed page by page. A sync killed midway leaves its ``sync_runs`` row open;
the next sync (holding the lock, so no sync is running) closes it as aborted, and its plans — made
from the database alone — fetch again exactly what was not stored. A warehouse build that a killed
sync owed (``changed AND built_at IS NULL``) is done by the next one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import io
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from mre_crawler import rollout_lock, run_metrics
from mre_crawler.eventlog import emit
from mre_crawler.sync.plan import TrackPlan, plan_track

LOCK_NAME = "sync"


@dataclass
class TrackOutcome:
    slug: str
    status: str  # ok | partial | failed | skipped-budget
    message: str = ""
    new: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    rows_written: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    health_failed: list[str] = field(default_factory=list)
    plan: TrackPlan | None = None
    database_lost: str | None = None
    # Practice drift: sessions that appeared on days ingested by an earlier run (one entry per day:
    # day, sessions, hours after the day was first ingested); they are also in ``new``.
    drift: list[dict[str, Any]] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        return {"slug": self.slug, "status": self.status, "message": self.message, "new": self.new,
                "requests": self.requests, "rows_written": self.rows_written, "drift": self.drift,
                "failed_pages": [{"url": u, "reason": r} for u, r in self.failures],
                "health_failed": self.health_failed, "plan": self.plan.record() if self.plan else None}


@dataclass
class SyncResult:
    sync_id: int
    started_at: dt.datetime
    tracks: list[TrackOutcome] = field(default_factory=list)
    resumed: list[int] = field(default_factory=list)  # syncs found killed and closed as aborted
    warehouse: str = "not needed"  # not needed | built | failed | skipped
    parquet: str | None = None
    alerts: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def record(self) -> dict[str, Any]:
        return {"sync_id": self.sync_id, "started_at": self.started_at, "resumed": self.resumed,
                "tracks": [t.record() for t in self.tracks], "warehouse": self.warehouse,
                "parquet": self.parquet, "alerts": self.alerts, "seconds": round(self.seconds, 1)}


AlertCheck = Callable[[psycopg.Connection, "SyncResult"], list[str]]
# Stored-run alert rules plug in here (``mre health``'s rules): each returns the firing alerts as
# one line each. The crawl-health findings of the sync's own crawls are always checked.
def _stored_run_rules(conn: psycopg.Connection, result: SyncResult) -> list[str]:
    from mre_crawler.commands.health import sync_end_check

    return sync_end_check(conn, result)


END_CHECKS: list[AlertCheck] = [_stored_run_rules]
# Called with each track crawl's Crawler before it starts (``mre sync`` shows its progress with it).
ON_CRAWLER: Callable[[Any], None] | None = None


def end_checks(conn: psycopg.Connection, result: SyncResult) -> list[str]:
    """The alerts that fire at the end of a sync: its crawls' health findings, then every
    registered stored-run rule (:data:`END_CHECKS`)."""
    alerts = [f"{t.slug}: {h}" for t in result.tracks for h in t.health_failed]
    for check in END_CHECKS:
        alerts.extend(check(conn, result))
    return alerts


def _now(conn: psycopg.Connection) -> dt.datetime:
    return conn.execute("SELECT now()").fetchone()[0]


def _new_counts(conn: psycopg.Connection, slug: str, since: dt.datetime) -> dict[str, int]:
    row = conn.execute(
        """SELECT
             (SELECT count(*) FROM mre.events WHERE track_slug = %(s)s AND source = 'liverc' AND created_at >= %(t)s),
             (SELECT count(*) FROM mre.races WHERE track_slug = %(s)s AND created_at >= %(t)s),
             (SELECT count(*) FROM mre.practice_days WHERE track_slug = %(s)s AND created_at >= %(t)s),
             (SELECT count(*) FROM mre.practice_sessions WHERE track_slug = %(s)s AND created_at >= %(t)s)""",
        {"s": slug, "t": since},
    ).fetchone()
    return {"events": row[0], "races": row[1], "practice_days": row[2], "practice_sessions": row[3]}


def _budget_resets(conn: psycopg.Connection, slug: str, config: Any) -> str | None:
    """When ``slug``'s daily budget is already spent (and budgets apply): its reset time."""
    from mre_crawler.middlewares.politeness import PolitenessLedger, next_reset, utc_today

    if not (config.throttled and config.budget_enabled):
        return None
    ledger = PolitenessLedger(conn)
    _rate, budget = ledger.limits(slug)
    status = ledger.budget_status(slug, utc_today(), budget or config.daily_budget)
    if status.remaining > 0:
        return None
    return f"{next_reset(status.day):%Y-%m-%d %H:%M} UTC"


def _sync_track(url: str, settings: Mapping[str, Any], plan: TrackPlan, config: Any) -> TrackOutcome:
    from mre_crawler.crawl import run_crawl
    from mre_crawler.practice.runner import run_practice

    out = TrackOutcome(plan.slug, "ok", plan=plan)
    result = run_crawl("track", plan.crawl_args(), dict(settings), on_crawler=ON_CRAWLER)
    out.requests = result.requests
    out.rows_written = result.rows_written
    out.failures = list(result.failures)
    out.health_failed = list(result.health_failed)
    out.database_lost = result.database_lost
    messages = []
    if result.bad_input:
        out.status, messages = "failed", [result.bad_input]
    elif result.database_lost or (result.unreachable and result.nothing_stored):
        from mre_crawler.crawl import unreachable_text

        out.status = "failed"
        messages.append(result.database_lost or unreachable_text(result.unreachable))
    for track, resets in result.budget_spent.items():
        out.status = "skipped-budget" if out.status == "ok" and result.nothing_stored else "partial"
        messages.append(f"budget spent for {track}; resets at {resets}")
    if plan.practice_from and out.status not in ("failed",):
        for first, last in practice_windows(plan.practice_from, plan.practice_to):
            run = run_practice("ingest", plan.slug, settings, date_from=first, date_to=last, fresh=True)
            out.drift.extend(run.drift)
            out.requests += int(run.metrics.get("requests", 0))
            out.rows_written += int(run.metrics.get("rows_changed", 0))
            out.failures.extend(run.failures)
            if run.budget_resets_at:
                messages.append(f"practice budget spent; resets at {run.budget_resets_at}")
                break
            if run.result.database_lost:
                out.status, out.database_lost = "failed", run.result.database_lost
                messages.append(run.result.database_lost)
                break
    if out.status == "ok" and out.failures:
        out.status = "partial"
        messages.append(f"{len(out.failures)} page(s) failed; the next sync fetches them again")
    out.message = "; ".join(messages)
    return out


def practice_windows(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """``first..last`` as consecutive ranges a practice call accepts (at most 3 months each), so
    a ``--practice-days`` longer than that is several calls, not a range error."""
    from mre_crawler.practice.ranges import MAX_MONTHS, add_months

    out = []
    while first <= last:
        end = min(last, add_months(first, MAX_MONTHS) - dt.timedelta(days=1))
        out.append((first, end))
        first = end + dt.timedelta(days=1)
    return out


def _close_killed_syncs(conn: psycopg.Connection) -> list[int]:
    """Syncs left open by a killed process (we hold the lock, so none is running): aborted."""
    rows = conn.execute(
        """UPDATE mre.sync_runs SET finished_at = now(),
               summary = COALESCE(summary, '{}'::jsonb) || '{"aborted": true}'::jsonb
           WHERE finished_at IS NULL RETURNING sync_id"""
    ).fetchall()
    conn.execute("UPDATE mre.sync_track_runs SET finished_at = now(), status = 'aborted' "
                 "WHERE finished_at IS NULL")
    return sorted(r[0] for r in rows)


def run_sync(
    settings: Mapping[str, Any],
    *,
    practice_days: int = 7,
    only: list[str] | None = None,
    build: bool = True,
    parquet_dir: Path | None = None,
    warehouse: Path | None = None,
    on_track: Callable[[str, int, int], None] | None = None,
    today: dt.date | None = None,
) -> SyncResult:
    """Sync every followed track (or ``only`` these); ``settings`` must hold a migrated
    ``MRE_DATABASE_URL``. Raises :class:`mre_crawler.rollout_lock.WriterBusy` when another sync runs."""
    from mre_crawler.config import CrawlConfig
    from mre_crawler.crawl import crawl_settings
    from mre_crawler.db import connect
    from mre_crawler.following import following

    url = settings["MRE_DATABASE_URL"]
    config = CrawlConfig.from_settings(crawl_settings(settings))
    today = today or dt.date.today()
    t0 = time.monotonic()
    lock_conn = connect(url, autocommit=True)
    try:
        who = f"{getpass.getuser()}@{socket.gethostname()}"
        rollout_lock.acquire(lock_conn, LOCK_NAME, "mre sync", who)
        conn = lock_conn
        resumed = _close_killed_syncs(conn)
        sync_id, started = conn.execute(
            "INSERT INTO mre.sync_runs (args, pid) VALUES (%s, %s) RETURNING sync_id, started_at",
            (Jsonb({"practice_days": practice_days, "only": only}), os.getpid()),
        ).fetchone()
        result = SyncResult(sync_id, started, resumed=resumed)
        tracks = [f for f in following(conn) if not only or f.slug in only]
        for i, followed in enumerate(tracks):
            if on_track:
                on_track(followed.slug, i, len(tracks))
            result.tracks.append(_one_track(conn, url, settings, config, followed, sync_id, practice_days, today))
        result.warehouse, result.parquet = _build_if_changed(conn, url, build, warehouse, parquet_dir)
        result.alerts = end_checks(conn, result)
        result.seconds = time.monotonic() - t0
        _finish(conn, result)
        return result
    finally:
        rollout_lock.release(lock_conn, LOCK_NAME)
        lock_conn.close()


def _one_track(conn, url, settings, config, followed, sync_id, practice_days, today) -> TrackOutcome:  # noqa: ANN001
    slug = followed.slug
    conn.execute("INSERT INTO mre.sync_track_runs (sync_id, slug) VALUES (%s, %s)", (sync_id, slug))
    since = _now(conn)
    resets = _budget_resets(conn, slug, config)
    if resets:
        out = TrackOutcome(slug, "skipped-budget", f"daily budget spent; resets at {resets}")
    else:
        plan = plan_track(conn, slug, since=followed.since, practice=followed.practice,
                          practice_days=practice_days, today=today,
                          finished_after_days=config.event_finished_after_days)
        out = _sync_track(url, settings, plan, config)
    out.new = _new_counts(conn, slug, since) if out.status != "skipped-budget" else {}
    ok = out.status in ("ok", "partial")
    with conn.transaction():
        conn.execute(
            """UPDATE mre.sync_track_runs SET finished_at = now(), status = %s, message = %s, new_counts = %s
               WHERE sync_id = %s AND slug = %s""",
            (out.status, out.message, Jsonb(out.new), sync_id, slug),
        )
        conn.execute(
            """UPDATE mre.followed_tracks SET last_sync_at = now(), last_sync_status = %s, last_sync_message = %s,
                   last_sync_run_id = %s, last_sync_ok_at = CASE WHEN %s THEN now() ELSE last_sync_ok_at END
               WHERE slug = %s""",
            (out.status, out.message or None, sync_id, ok, slug),
        )
        if out.rows_written:
            conn.execute("UPDATE mre.sync_runs SET changed = true WHERE sync_id = %s", (sync_id,))
    emit("sync_track", sync_id=sync_id, track=slug, status=out.status, new=out.new, requests=out.requests,
         rows_written=out.rows_written, pages_failed=len(out.failures),
         drift_sessions=sum(d["sessions"] for d in out.drift), note=out.message or None)
    return out


def _build_if_changed(conn, url, build, warehouse, parquet_dir) -> tuple[str, str | None]:  # noqa: ANN001
    pending = conn.execute("SELECT count(*) FROM mre.sync_runs WHERE changed AND built_at IS NULL").fetchone()[0]
    if not pending:
        return "not needed", None
    if not build:
        return "skipped", None
    from mre_crawler.commands.warehouse import build_from_postgres
    from warehouse.runner import warehouse_path

    path = warehouse or warehouse_path()
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        ok = build_from_postgres(path, url)
    if not ok:
        return "failed", None
    conn.execute("UPDATE mre.sync_runs SET built_at = now() WHERE changed AND built_at IS NULL")
    parquet = None
    if parquet_dir:
        import duckdb

        from warehouse.export import export_parquet

        with duckdb.connect(str(path), read_only=True) as con:
            report = export_parquet(con, parquet_dir)
        parquet = f"{report.rows:,} rows in {len(report.files)} files under {report.out_dir}"
    return "built", parquet


def bumpups_found(conn: psycopg.Connection, result: SyncResult) -> dict[str, int]:
    """Bump-ups (from the published marts) in the events this sync stored, per track."""
    exists = conn.execute("SELECT to_regclass('marts.mart_bumpups') IS NOT NULL").fetchone()[0]
    if not exists:
        return {}
    rows = conn.execute(
        """SELECT e.track_slug, count(*) FROM marts.mart_bumpups b
           JOIN mre.events e ON e.event_id = b.event_id
           WHERE b.event_id IN (SELECT event_id FROM mre.races WHERE created_at >= %s OR updated_at >= %s)
           GROUP BY 1""",
        (result.started_at, result.started_at),
    ).fetchall()
    return dict(rows)


def _finish(conn: psycopg.Connection, result: SyncResult) -> None:
    from mre_crawler.sync.summary import exit_code

    found = bumpups_found(conn, result) if result.warehouse == "built" else {}
    for t in result.tracks:
        if t.status != "skipped-budget":
            t.new["bumpups"] = found.get(t.slug, 0)
    code = exit_code(result)
    finished = _now(conn)
    with conn.transaction():
        conn.execute("UPDATE mre.sync_runs SET finished_at = %s, exit_code = %s, summary = %s WHERE sync_id = %s",
                     (finished, code, Jsonb(_jsonable(result.record())), result.sync_id))
        run_metrics.record(
            conn, "sync", run_ref=result.sync_id, started_at=result.started_at, finished_at=finished,
            ok=code in (0, 3),
            metrics={"tracks": len(result.tracks), "requests": sum(t.requests for t in result.tracks),
                     "rows_written": sum(t.rows_written for t in result.tracks),
                     "pages_failed": sum(len(t.failures) for t in result.tracks),
                     "tracks_failed": sum(t.status == "failed" for t in result.tracks),
                     "tracks_skipped_budget": sum(t.status == "skipped-budget" for t in result.tracks),
                     # Named apart from the practice runs' drift_* (the health rule reads those),
                     # so a session is not counted twice.
                     "practice_drift_sessions": sum(d["sessions"] for t in result.tracks for d in t.drift),
                     "practice_drift_max_hours": max((d["hours"] for t in result.tracks for d in t.drift), default=0),
                     "duration_s": round(result.seconds, 3)},
        )
    emit("sync", sync_id=result.sync_id, exit_code=code, tracks=len(result.tracks), resumed=result.resumed,
         warehouse=result.warehouse, alerts=len(result.alerts), duration_s=round(result.seconds, 3))


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))
