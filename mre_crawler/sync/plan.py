"""What one followed track's sync fetches, decided from the database alone.

Always the track's dashboard and events list (fresh, past the HTTP cache: new events must show at
once). Of the events listed, every event is fetched unless it is **settled**: stored from a whole
event page, finished (its last day at least ``MRE_EVENT_FINISHED_AFTER_DAYS`` ago), every one of
its races stored from a whole race page, and no page of it waiting in quarantine. So a sync
fetches new events, events not yet finished and finished events whose pages were incomplete (a
page failed, was cut off, or the previous sync was killed before storing it), and nothing else.

Practice (for tracks followed with ``--practice``): the days of the last ``practice_days`` days,
ingested by the practice runner, which re-checks recently ingested days for drift.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import psycopg

from mre_crawler.urls import track_base


@dataclass(frozen=True)
class TrackPlan:
    slug: str
    since: dt.date | None
    settled_events: frozenset[int] = field(default_factory=frozenset)
    practice_from: dt.date | None = None
    practice_to: dt.date | None = None

    def crawl_args(self) -> dict[str, Any]:
        """The ``track`` spider's arguments for this plan."""
        args: dict[str, Any] = {"track": self.slug, "fresh": "1",
                                "settled": ",".join(str(e) for e in sorted(self.settled_events))}
        if self.since:
            args["since"] = self.since.isoformat()
        return args

    def record(self) -> dict[str, Any]:
        return {"slug": self.slug, "since": self.since, "settled_events": len(self.settled_events),
                "practice_from": self.practice_from, "practice_to": self.practice_to}


# An event's pages as LiveRC URLs, built in SQL the way mre_crawler.urls builds them.
_SETTLED = """
WITH ev AS (
    SELECT e.event_id, %(base)s || '/results/?p=view_event&id=' || e.event_id AS url
    FROM mre.events e
    WHERE e.track_slug = %(slug)s AND e.source = 'liverc' AND e.removed_at IS NULL
      AND COALESCE(e.date_end, e.date_start) <= %(finished_by)s
)
SELECT ev.event_id FROM ev
WHERE EXISTS (SELECT 1 FROM mre.stored_pages s WHERE s.url = ev.url)
  AND NOT EXISTS (
      SELECT 1 FROM mre.races r
      WHERE r.event_id = ev.event_id AND r.removed_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM mre.stored_pages s
                        WHERE s.url = %(base)s || '/results/?p=view_race_result&id=' || r.race_id))
  AND NOT EXISTS (
      SELECT 1 FROM mre.quarantine q
      WHERE q.resolved_at IS NULL
        AND (q.url = ev.url
             OR q.url IN (SELECT %(base)s || '/results/?p=view_race_result&id=' || r.race_id
                          FROM mre.races r WHERE r.event_id = ev.event_id)))
"""


def settled_events(conn: psycopg.Connection, slug: str, today: dt.date, finished_after_days: int) -> frozenset[int]:
    """Events of ``slug`` a sync need not fetch again (see the module text)."""
    rows = conn.execute(_SETTLED, {"slug": slug, "base": track_base(slug),
                                   "finished_by": today - dt.timedelta(days=finished_after_days)}).fetchall()
    return frozenset(r[0] for r in rows)


def plan_track(conn: psycopg.Connection, slug: str, *, since: dt.date | None, practice: bool,
               practice_days: int, today: dt.date, finished_after_days: int) -> TrackPlan:
    """The plan of one track's sync, from the database's state now."""
    p_from = p_to = None
    if practice and practice_days > 0:
        p_to = today
        p_from = today - dt.timedelta(days=practice_days - 1)
        if since and p_from < since:
            p_from = since
    return TrackPlan(slug, since, settled_events(conn, slug, today, finished_after_days), p_from, p_to)
