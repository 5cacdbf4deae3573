"""Writing practice days into PostgreSQL: one transaction per day, one process per day at a time.

:class:`PracticeDB` wraps one autocommit connection. For each practice day:

1. :meth:`PracticeDB.try_lock` takes a session-level advisory lock on the day's source event id
   (``{track}-practice-{date}``). A second process trying the same day waits briefly (the spider
   polls without blocking the reactor) and then reports the day as being ingested elsewhere,
   with :meth:`stored_state`.
2. :meth:`plan_details`: the session pages to fetch: sessions not stored yet, or whose overview
   row (its summary hash) changed since their detail page was stored.
3. :meth:`write_day`: everything of the day in one transaction (event, drivers, sessions, laps,
   removals, retry log, statistics), through the store's COPY-stage upserts
   (:func:`mre_crawler.store.upsert_rows`), so an unchanged re-ingest updates no row.
4. :meth:`unlock`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from mre_crawler import items as it
from mre_crawler.practice import PRACTICE_SOURCE, source_event_id
from mre_crawler.practice.archive import restore_keys
from mre_crawler.practice.identity import practice_class_key, practice_display_name, practice_driver_key
from mre_crawler.practice.statistics import DayStats, SessionFacts, day_stats
from mre_crawler.practice.timing import resolve, resolve_sequence
from mre_crawler.store import TRACK_STUB, Upsert, upsert_rows
from mre_crawler.urls import practice_session_url

LOCK_NAMESPACE = "mre-practice:"

PRACTICE_EVENTS = Upsert(
    "events<-practice", "events", ("source_event_id",),
    cols=("source", "track_slug", "name", "track_name", "date_start", "date_end"), restores=True,
)
PRACTICE_DRIVERS = Upsert("practice_drivers", "practice_drivers", ("driver_key",), cols=("display_name",))
SESSIONS_FROM_OVERVIEW = Upsert(
    "practice_sessions<-overview", "practice_sessions", ("session_id",),
    cols=("source_event_id", "track_slug", "practice_date", "driver_name", "driver_key", "class_name", "class_key",
          "transponder", "start_local", "start_utc", "start_flag", "laps", "length_seconds", "fastest_lap",
          "avg_lap", "summary_sha256"),
    restores=True,
)
SESSIONS_FROM_DETAIL = Upsert(
    "practice_sessions<-detail", "practice_sessions", ("session_id",),
    cols=("detail_summary_sha256", "end_local", "end_utc", "end_flag", "detail_length_seconds", "lap_count",
          "top3_consecutive", "avg_top5", "avg_top10", "avg_top15", "std_deviation", "consistency",
          "valid_lap_min", "valid_lap_max"),
    # A session page alone (retry) must still make a complete row; the overview is authoritative.
    fill=("source_event_id", "track_slug", "practice_date", "driver_name", "driver_key", "class_name", "class_key",
          "transponder", "start_local", "start_utc", "start_flag"),
)
PRACTICE_LAPS = Upsert("practice_laps", "practice_laps", ("session_id", "lap_number"),
                       cols=("lap_time", "end_local", "end_utc", "time_flag", "is_valid"), restores=True)
PRACTICE_DAYS = Upsert(
    "practice_days", "practice_days", ("source_event_id",),
    cols=("track_slug", "practice_date", "time_zone", "session_count", "total_laps", "total_track_time_seconds",
          "unique_drivers", "unique_classes", "unique_known_classes", "unique_transponders",
          "first_session_start_local", "first_session_start_utc", "last_session_end_local", "last_session_end_utc",
          "last_session_end_estimated", "time_flags", "panel_total_laps", "panel_total_track_time_seconds",
          "panel_unique_drivers", "panel_unique_classes", "panel_first_session_local", "panel_last_session_local"),
    restores=True,
)
DAY_CLASSES = Upsert("practice_day_classes", "practice_day_classes", ("source_event_id", "class_key"),
                     cols=("class_name", "sessions", "laps", "panel_laps"), restores=True)


def summary_sha256(s: it.PracticeSessionSummary) -> str:
    """The overview row's fingerprint: a change means the session page must be read again."""
    data = [s.driver_name, s.class_name, s.transponder, s.start_local.isoformat() if s.start_local else None,
            s.laps, s.length_seconds, s.fastest_lap, s.avg_lap]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def practice_day_name(track_name: str, day: dt.date) -> str:
    """``{Track Name} - Practice Day - {Month D, YYYY}``."""
    return f"{track_name} - Practice Day - {day.strftime('%B')} {day.day}, {day.year}"


@dataclass
class DayBundle:
    """What the spider collected for one day: the overview (None for a retry) and session pages."""

    track_slug: str
    date: dt.date
    overview: it.PracticeDay | None
    details: dict[int, it.PracticeSession] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)  # session id -> reason
    overview_url: str | None = None

    @property
    def source_event_id(self) -> str:
        return source_event_id(self.track_slug, self.date)


@dataclass
class DayOutcome:
    source_event_id: str
    date: dt.date
    status: str  # stored | busy | drift
    sessions: int = 0
    details_stored: int = 0
    details_failed: list[int] = field(default_factory=list)
    rows_changed: int = 0
    new_sessions: list[int] = field(default_factory=list)
    removed_sessions: list[int] = field(default_factory=list)
    skipped_sessions: list[int] = field(default_factory=list)  # listed on a day they did not start on
    state: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"source_event_id": self.source_event_id, "date": self.date.isoformat(), "status": self.status,
                "sessions": self.sessions, "details_stored": self.details_stored,
                "details_failed": self.details_failed, "rows_changed": self.rows_changed,
                "new_sessions": self.new_sessions, "removed_sessions": self.removed_sessions,
                "skipped_sessions": self.skipped_sessions, "state": self.state}


class PracticeDB:
    def __init__(self, conn: psycopg.Connection, run_id: int | None = None):
        self.conn = conn
        self.run_id = run_id
        self.held: set[str] = set()

    @classmethod
    def connect(cls, url: str) -> PracticeDB:
        from mre_crawler.db import connect

        return cls(connect(url, autocommit=True))

    def close(self) -> None:
        for key in list(self.held):
            self.unlock(key)
        self.conn.close()

    # -- locks -------------------------------------------------------------------------------
    def try_lock(self, event_key: str) -> bool:
        if event_key in self.held:
            return True
        got = self.conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))",
                                (LOCK_NAMESPACE + event_key,)).fetchone()[0]
        if got:
            self.held.add(event_key)
        return bool(got)

    def unlock(self, event_key: str) -> None:
        if event_key in self.held:
            self.held.discard(event_key)
            self.conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (LOCK_NAMESPACE + event_key,))

    # -- reads -------------------------------------------------------------------------------
    def track(self, slug: str) -> tuple[str | None, str | None, bool]:
        """(name, time zone, known): known is False when the dashboard was never read."""
        row = self.conn.execute("SELECT name, time_zone, time_zone_source, address_lines FROM mre.tracks WHERE slug = %s",
                                (slug,)).fetchone()
        if row is None:
            return None, None, False
        return row[0], row[1], bool(row[0]) and (row[1] is not None or row[3] is not None)

    def plan_details(self, overview: it.PracticeDay) -> list[int]:
        """Session ids whose page must be fetched: not stored yet, or summary changed since."""
        wanted = {s.session_id: summary_sha256(s) for s in _own_sessions(overview)[0]}
        stored = dict(self.conn.execute(
            # A session that vanished and came back is read again: its laps were marked removed.
            """SELECT session_id, CASE WHEN removed_at IS NULL THEN detail_summary_sha256 END
               FROM mre.practice_sessions WHERE session_id = ANY(%s)""",
            (list(wanted),),
        ).fetchall())
        return [sid for sid, sha in wanted.items() if stored.get(sid) != sha]

    def stored_session_ids(self, track_slug: str, day: dt.date) -> set[int]:
        return {r[0] for r in self.conn.execute(
            "SELECT session_id FROM mre.practice_sessions WHERE source_event_id = %s AND removed_at IS NULL",
            (source_event_id(track_slug, day),)).fetchall()}

    def stored_state(self, track_slug: str, day: dt.date) -> dict[str, Any]:
        """The day as stored now (what a process that found the day busy reports)."""
        key = source_event_id(track_slug, day)
        row = self.conn.execute(
            """SELECT session_count, total_laps, total_track_time_seconds, unique_drivers, unique_classes,
                      last_ingested_at, matches_panel
               FROM mre.practice_days WHERE source_event_id = %s""", (key,)).fetchone()
        if row is None:
            return {"source_event_id": key, "stored": False}
        names = ("session_count", "total_laps", "total_track_time_seconds", "unique_drivers", "unique_classes",
                 "last_ingested_at", "matches_panel")
        state = dict(zip(names, row))
        state["total_track_time_seconds"] = float(state["total_track_time_seconds"] or 0)
        state["last_ingested_at"] = state["last_ingested_at"].isoformat() if state["last_ingested_at"] else None
        return {"source_event_id": key, "stored": True, **state}

    # -- the day's transaction ---------------------------------------------------------------
    def write_day(self, bundle: DayBundle) -> DayOutcome:
        key = bundle.source_event_id
        outcome = DayOutcome(key, bundle.date, "stored")
        with self.conn.transaction():
            cur = self.conn.cursor()
            name, zone, _ = self.track(bundle.track_slug)
            slug = bundle.track_slug
            changed = 0
            # A day archived earlier comes back to the hot tables before it is written again.
            restore_keys(cur, [key])
            ins, upd = upsert_rows(cur, TRACK_STUB, [(slug,)])
            changed += ins + upd
            summaries: dict[int, it.PracticeSessionSummary] = {}
            if bundle.overview is not None:
                own, foreign = _own_sessions(bundle.overview)
                outcome.skipped_sessions = [s.session_id for s in foreign]
                summaries = {s.session_id: s for s in own}
                before = self.stored_session_ids(slug, bundle.date)
                outcome.new_sessions = sorted(set(summaries) - before)
                ins, upd = upsert_rows(cur, PRACTICE_EVENTS, [(
                    key, PRACTICE_SOURCE, slug, practice_day_name(name or slug, bundle.date), name,
                    bundle.date, bundle.date)])
                changed += ins + upd
            drivers = {}
            for s in [*summaries.values(), *bundle.details.values()]:
                k = practice_driver_key(s.driver_name)
                if k:
                    drivers.setdefault(k, (k, practice_display_name(s.driver_name)))
            if drivers:
                changed += sum(upsert_rows(cur, PRACTICE_DRIVERS, list(drivers.values())))
            starts: dict[int, Any] = {}
            if summaries:
                rows = []
                for s in summaries.values():
                    start = resolve(s.start_local, zone)
                    starts[s.session_id] = start
                    rows.append((s.session_id, key, slug, bundle.date, s.driver_name,
                                 practice_driver_key(s.driver_name), s.class_name, practice_class_key(s.class_name),
                                 s.transponder, s.start_local, start.utc, start.flag, s.laps, s.length_seconds,
                                 s.fastest_lap, s.avg_lap, summary_sha256(s)))
                changed += sum(upsert_rows(cur, SESSIONS_FROM_OVERVIEW, rows))
            if bundle.overview is not None:
                removed = _mark_removed_sessions(cur, key, list(summaries))
                outcome.removed_sessions = removed
                changed += len(removed)
            changed += self._write_details(cur, bundle, summaries, zone)
            self._write_retry_log(cur, bundle)
            changed += self._write_stats(cur, key, slug, bundle.date, zone, bundle.overview)
            cur.execute("UPDATE mre.practice_days SET last_ingested_at = now() WHERE source_event_id = %s", (key,))
            outcome.rows_changed = changed
            outcome.details_stored = len(bundle.details)
            outcome.details_failed = sorted(bundle.failures)
            outcome.sessions = cur.execute(
                "SELECT count(*) FROM mre.practice_sessions WHERE source_event_id = %s AND removed_at IS NULL",
                (key,)).fetchone()[0]
        outcome.state = self.stored_state(bundle.track_slug, bundle.date)
        return outcome

    def drift_day(self, overview: it.PracticeDay) -> DayOutcome:
        """Compare the overview with what is stored; mark vanished sessions removed (never deleted)."""
        key = source_event_id(overview.track_slug, overview.date)
        outcome = DayOutcome(key, overview.date, "drift")
        own, foreign = _own_sessions(overview)
        outcome.skipped_sessions = [s.session_id for s in foreign]
        present = {s.session_id for s in own}
        with self.conn.transaction():
            cur = self.conn.cursor()
            stored = self.stored_session_ids(overview.track_slug, overview.date)
            outcome.new_sessions = sorted(present - stored)
            if stored or present:
                exists = cur.execute("SELECT 1 FROM mre.practice_days WHERE source_event_id = %s", (key,)).fetchone()
                if exists:
                    outcome.removed_sessions = _mark_removed_sessions(cur, key, list(present))
                    zone = self.track(overview.track_slug)[1]
                    outcome.rows_changed = len(outcome.removed_sessions)
                    if outcome.removed_sessions:
                        outcome.rows_changed += self._write_stats(cur, key, overview.track_slug, overview.date, zone,
                                                                  overview)
            outcome.sessions = len(present)
        outcome.state = self.stored_state(overview.track_slug, overview.date)
        return outcome

    # -- parts of the transaction ------------------------------------------------------------
    def _write_details(self, cur: psycopg.Cursor, bundle: DayBundle, summaries: dict[int, Any], zone: str | None) -> int:
        if not bundle.details:
            return 0
        stored_sha = dict(cur.execute(
            "SELECT session_id, summary_sha256 FROM mre.practice_sessions WHERE session_id = ANY(%s)",
            (list(bundle.details),)).fetchall())
        key, slug = bundle.source_event_id, bundle.track_slug
        session_rows, lap_rows = [], []
        for sid, d in bundle.details.items():
            summary = summaries.get(sid)
            start_local = summary.start_local if summary is not None else d.start_local
            moments = resolve_sequence([start_local, *[lap.end_local for lap in d.laps], d.end_local], zone)
            start, lap_times, end = moments[0], moments[1:-1], moments[-1]
            sha = summary_sha256(summary) if summary is not None else stored_sha.get(sid)
            session_rows.append((
                sid, sha, d.end_local, end.utc, end.flag, d.length_seconds, d.lap_count, d.top3_consecutive,
                d.avg_top5, d.avg_top10, d.avg_top15, d.std_deviation, d.consistency, d.valid_lap_min,
                d.valid_lap_max, key, slug, bundle.date, d.driver_name, practice_driver_key(d.driver_name),
                d.class_name, practice_class_key(d.class_name), d.transponder, start_local, start.utc, start.flag,
            ))
            for lap, t in zip(d.laps, lap_times):
                lap_rows.append((sid, lap.lap_number, lap.lap_time, lap.end_local, t.utc, t.flag, lap.is_valid))
        changed = sum(upsert_rows(cur, SESSIONS_FROM_DETAIL, session_rows))
        if lap_rows:
            changed += sum(upsert_rows(cur, PRACTICE_LAPS, lap_rows))
        # Laps a re-read session page no longer shows are marked removed.
        cur.execute(
            """UPDATE mre.practice_laps t SET removed_at = now(), updated_at = now()
               WHERE t.session_id = ANY(%s) AND t.removed_at IS NULL
                 AND NOT EXISTS (SELECT 1 FROM unnest(%s::bigint[], %s::smallint[]) AS p(session_id, lap_number)
                                 WHERE p.session_id = t.session_id AND p.lap_number = t.lap_number)""",
            (list(bundle.details), [r[0] for r in lap_rows], [r[1] for r in lap_rows]),
        )
        return changed + cur.rowcount

    def _write_retry_log(self, cur: psycopg.Cursor, bundle: DayBundle) -> None:
        if bundle.details:
            cur.execute("UPDATE mre.practice_retry SET resolved_at = now() "
                        "WHERE session_id = ANY(%s) AND resolved_at IS NULL", (list(bundle.details),))
        if bundle.failures:
            cur.executemany(
                """INSERT INTO mre.practice_retry AS r (session_id, track_slug, practice_date, url, reason, run_id)
                   VALUES (%s, %s, %s, %s, %s, %s)
                   ON CONFLICT (session_id) DO UPDATE SET reason = EXCLUDED.reason, last_failed_at = now(),
                       attempts = r.attempts + 1, resolved_at = NULL, run_id = EXCLUDED.run_id""",
                [(sid, bundle.track_slug, bundle.date, practice_session_url(bundle.track_slug, sid), reason,
                  self.run_id) for sid, reason in sorted(bundle.failures.items())],
            )

    def _write_stats(self, cur: psycopg.Cursor, key: str, slug: str, day: dt.date, zone: str | None,
                     overview: it.PracticeDay | None) -> int:
        facts = [SessionFacts(*row) for row in cur.execute(
            """SELECT session_id, driver_key, class_key, class_name, transponder, start_local, end_local, laps,
                      length_seconds, avg_lap
               FROM mre.practice_sessions WHERE source_event_id = %s AND removed_at IS NULL
               ORDER BY session_id""", (key,)).fetchall()]
        stats = day_stats(facts)
        flags = cur.execute(
            """SELECT (SELECT count(*) FILTER (WHERE start_flag IN ('ambiguous', 'nonexistent'))
                            + count(*) FILTER (WHERE end_flag IN ('ambiguous', 'nonexistent'))
                       FROM mre.practice_sessions WHERE source_event_id = %(k)s AND removed_at IS NULL)
                    + (SELECT count(*) FROM mre.practice_laps l JOIN mre.practice_sessions s USING (session_id)
                       WHERE s.source_event_id = %(k)s AND l.removed_at IS NULL
                         AND l.time_flag IN ('ambiguous', 'nonexistent'))""", {"k": key}).fetchone()[0]
        panel = overview.stats if overview is not None and overview.stats is not None else None
        first = resolve(stats.first_session_start_local, zone)
        last = resolve(stats.last_session_end_local, zone)
        row = (key, slug, day, zone, stats.session_count, stats.total_laps, stats.total_track_time_seconds,
               stats.unique_drivers, stats.unique_classes, stats.unique_known_classes, stats.unique_transponders,
               stats.first_session_start_local, first.utc, stats.last_session_end_local, last.utc,
               stats.last_session_end_estimated, int(flags),
               *(_panel_row(panel)))
        changed = sum(upsert_rows(cur, PRACTICE_DAYS, [row]))
        changed += _write_classes(cur, key, stats, panel)
        return changed


def _panel_row(panel: it.PracticeStats | None) -> tuple:
    if panel is None:
        return (None,) * 6
    return (panel.total_laps, panel.total_track_time_seconds, panel.unique_drivers, panel.unique_classes,
            panel.first_session_local, panel.last_session_local)


def _write_classes(cur: psycopg.Cursor, key: str, stats: DayStats, panel: it.PracticeStats | None) -> int:
    panel_laps: dict[str, int] = {}
    for name, laps in (panel.laps_per_class if panel is not None else {}).items():
        k = practice_class_key(name) or "unknown class"
        panel_laps[k] = panel_laps.get(k, 0) + laps
    rows = [(key, k, name, n, laps, panel_laps.get(k)) for k, (name, n, laps) in sorted(stats.classes.items())]
    changed = sum(upsert_rows(cur, DAY_CLASSES, rows)) if rows else 0
    cur.execute(
        """UPDATE mre.practice_day_classes SET removed_at = now(), updated_at = now()
           WHERE source_event_id = %s AND removed_at IS NULL AND NOT (class_key = ANY(%s))""",
        (key, [r[1] for r in rows]),
    )
    return changed + cur.rowcount


def _mark_removed_sessions(cur: psycopg.Cursor, key: str, present: Iterable[int]) -> list[int]:
    """Sessions of the day LiveRC no longer lists: removed_at set (with their laps), never deleted."""
    removed = [r[0] for r in cur.execute(
        """UPDATE mre.practice_sessions SET removed_at = now(), updated_at = now()
           WHERE source_event_id = %s AND removed_at IS NULL AND NOT (session_id = ANY(%s))
           RETURNING session_id""", (key, list(present))).fetchall()]
    if removed:
        cur.execute("UPDATE mre.practice_laps SET removed_at = now(), updated_at = now() "
                    "WHERE session_id = ANY(%s) AND removed_at IS NULL", (removed,))
    return sorted(removed)


def _own_sessions(day: it.PracticeDay) -> tuple[list[it.PracticeSessionSummary], list[it.PracticeSessionSummary]]:
    """Sessions that started on the day (kept) and any listed there that started on another day.

    A session belongs to the day it started; one that crosses midnight is listed on its start day
    (the overview parser flags a row starting outside the day)."""
    own, foreign = [], []
    for s in day.sessions:
        (own if s.start_local is None or s.start_local.date() == day.date else foreign).append(s)
    return own, foreign
