"""A practice day's statistics, computed from its sessions after normalization.

Definitions (checked against practice-day-overview-canberraoffroad-2025-10-25.html, whose panel
says 487 laps, 7 h 16 min 45 s, 9 unique drivers, 4 unique classes):

- total laps: sum of each session's laps;
- total track time: LiveRC's definition, the sum over sessions of laps x average lap
  (26,204.7 s on that day, printed rounded as 7:16:45), not the span from first to last session;
- unique drivers: distinct normalized names, ``Unknown Driver`` not counted (one person on
  several transponders is one driver: Greg Rosander's 3 transponders count once);
- unique classes: distinct normalized classes (``1/10 Buggy`` and ``1-10 buggy`` are one),
  ``Unknown Class`` counted as LiveRC counts it; ``unique_known_classes`` leaves it out;
- first session start; last session **end** (from the session page; estimated as start + length
  while that page is not stored, and marked so). LiveRC's panel prints the last session's start.

Where ours differ from the panel, ``mre.practice_days`` keeps both and the difference columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from mre_crawler.practice.identity import is_unknown_class


@dataclass(frozen=True)
class SessionFacts:
    """What the statistics need of one stored (not removed) session."""

    session_id: int
    driver_key: str | None
    class_key: str | None
    class_name: str | None
    transponder: str | None
    start_local: dt.datetime | None
    end_local: dt.datetime | None  # from the detail page
    laps: int | None
    length_seconds: float | None
    avg_lap: float | None


@dataclass
class DayStats:
    session_count: int = 0
    total_laps: int = 0
    total_track_time_seconds: float = 0.0
    unique_drivers: int = 0
    unique_classes: int = 0
    unique_known_classes: int = 0
    unique_transponders: int = 0
    first_session_start_local: dt.datetime | None = None
    last_session_end_local: dt.datetime | None = None
    last_session_end_estimated: bool | None = None
    classes: dict[str, tuple[str | None, int, int]] = field(default_factory=dict)  # key -> (name, sessions, laps)


def session_end(s: SessionFacts) -> tuple[dt.datetime | None, bool]:
    """(end, estimated): the detail page's end, else start + length (the overview has no end)."""
    if s.end_local is not None:
        return s.end_local, False
    if s.start_local is not None and s.length_seconds is not None:
        return s.start_local + dt.timedelta(seconds=float(s.length_seconds)), True
    return None, True


def day_stats(sessions: Iterable[SessionFacts]) -> DayStats:
    sessions = list(sessions)
    stats = DayStats(session_count=len(sessions))
    if not sessions:
        return stats
    stats.total_laps = sum(s.laps or 0 for s in sessions)
    stats.total_track_time_seconds = round(sum((s.laps or 0) * float(s.avg_lap or 0) for s in sessions), 3)
    stats.unique_drivers = len({s.driver_key for s in sessions if s.driver_key})
    class_keys = {s.class_key or "unknown class" for s in sessions}
    stats.unique_classes = len(class_keys)
    stats.unique_known_classes = len({k for k in class_keys if not is_unknown_class(k)})
    stats.unique_transponders = len({s.transponder for s in sessions if s.transponder})
    starts = [s.start_local for s in sessions if s.start_local is not None]
    stats.first_session_start_local = min(starts) if starts else None
    ends = [(e, est) for e, est in map(session_end, sessions) if e is not None]
    if ends:
        stats.last_session_end_local, stats.last_session_end_estimated = max(ends, key=lambda p: p[0])
    for s in sessions:
        key = s.class_key or "unknown class"
        name, n, laps = stats.classes.get(key, (s.class_name, 0, 0))
        stats.classes[key] = (name, n + 1, laps + (s.laps or 0))
    return stats
