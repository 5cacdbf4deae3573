"""Discovery records: what the month views and day overviews showed, kept for later comparison.

``mre practice discover`` lists each practice day (date, track, session count, total laps, total
track time, unique drivers, unique classes, first session start, last session end) and stores
the latest look in ``mre.practice_discoveries`` (one row per track and day, with the session ids
seen), so ``ingest`` and ``drift`` can tell what changed since.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import psycopg

from mre_crawler import items as it
from mre_crawler.practice.identity import practice_class_key, practice_driver_key
from mre_crawler.practice.statistics import SessionFacts, day_stats


@dataclass
class DiscoveredDay:
    track_slug: str
    date: dt.date
    month_session_count: int | None = None
    overview: it.PracticeDay | None = None
    overview_error: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    def as_json(self, sessions: bool = False) -> dict[str, Any]:
        out = {"date": self.date.isoformat(), "track": self.track_slug,
               "month_session_count": self.month_session_count, **self.summary}
        if self.overview_error:
            out["overview_error"] = self.overview_error
        if sessions and self.overview is not None:
            out["sessions"] = [session_json(s) for s in sorted(self.overview.sessions,
                                                                key=lambda s: (s.start_local or dt.datetime.min))]
        return out


def session_json(s: it.PracticeSessionSummary) -> dict[str, Any]:
    return {"session_id": s.session_id, "driver": s.driver_name, "class": s.class_name,
            "transponder": s.transponder, "start": s.start_local.isoformat() if s.start_local else None,
            "laps": s.laps, "length_seconds": s.length_seconds, "fastest_lap": s.fastest_lap, "avg_lap": s.avg_lap}


def overview_summary(day: it.PracticeDay) -> dict[str, Any]:
    """The day's figures from its overview alone (session ends estimated: start + length)."""
    facts = [SessionFacts(s.session_id, practice_driver_key(s.driver_name), practice_class_key(s.class_name),
                          s.class_name, s.transponder, s.start_local, None, s.laps, s.length_seconds, s.avg_lap)
             for s in day.sessions]
    st = day_stats(facts)
    return {
        "session_count": st.session_count, "total_laps": st.total_laps,
        "total_track_time_seconds": st.total_track_time_seconds, "unique_drivers": st.unique_drivers,
        "unique_classes": st.unique_classes,
        "first_session_start": st.first_session_start_local.isoformat() if st.first_session_start_local else None,
        "last_session_end": st.last_session_end_local.isoformat() if st.last_session_end_local else None,
    }


def record(conn: psycopg.Connection, found: DiscoveredDay, run_id: int | None) -> None:
    s = found.summary
    ids = [x.session_id for x in found.overview.sessions] if found.overview is not None else None
    conn.execute(
        """INSERT INTO mre.practice_discoveries AS d
               (track_slug, practice_date, month_session_count, session_count, total_laps, total_track_time_seconds,
                unique_drivers, unique_classes, first_session_start_local, last_session_end_local, session_ids,
                overview_error, run_id)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (track_slug, practice_date) DO UPDATE SET
               month_session_count = COALESCE(EXCLUDED.month_session_count, d.month_session_count),
               session_count = COALESCE(EXCLUDED.session_count, d.session_count),
               total_laps = COALESCE(EXCLUDED.total_laps, d.total_laps),
               total_track_time_seconds = COALESCE(EXCLUDED.total_track_time_seconds, d.total_track_time_seconds),
               unique_drivers = COALESCE(EXCLUDED.unique_drivers, d.unique_drivers),
               unique_classes = COALESCE(EXCLUDED.unique_classes, d.unique_classes),
               first_session_start_local = COALESCE(EXCLUDED.first_session_start_local, d.first_session_start_local),
               last_session_end_local = COALESCE(EXCLUDED.last_session_end_local, d.last_session_end_local),
               session_ids = COALESCE(EXCLUDED.session_ids, d.session_ids),
               overview_error = EXCLUDED.overview_error, discovered_at = now(), run_id = EXCLUDED.run_id""",
        (found.track_slug, found.date, found.month_session_count, s.get("session_count"), s.get("total_laps"),
         s.get("total_track_time_seconds"), s.get("unique_drivers"), s.get("unique_classes"),
         s.get("first_session_start"), s.get("last_session_end"), ids, found.overview_error, run_id),
    )
