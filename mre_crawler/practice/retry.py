"""The retry log: session pages that failed, for ``mre practice retry``.

A session page that cannot be fetched (404, a 5xx after the retries, the budget spent) or read
(quarantined) does not fail its day: the day is written with the session's overview row, and the
page lands in ``mre.practice_retry`` (one open row per session, ``attempts`` counting failures).
``mre practice retry --track SLUG`` fetches the open ones again, day by day under the day's lock;
a page stored resolves its row (``resolved_at``) and the day's statistics are recomputed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class RetryEntry:
    session_id: int
    track_slug: str
    practice_date: dt.date
    url: str
    reason: str
    attempts: int


def open_entries(conn: psycopg.Connection, track_slug: str | None = None,
                 first: dt.date | None = None, last: dt.date | None = None) -> list[RetryEntry]:
    query = ("SELECT session_id, track_slug, practice_date, url, reason, attempts FROM mre.practice_retry "
             "WHERE resolved_at IS NULL")
    params: list = []
    if track_slug:
        query += " AND track_slug = %s"
        params.append(track_slug)
    if first and last:
        query += " AND practice_date BETWEEN %s AND %s"
        params += [first, last]
    return [RetryEntry(*row) for row in conn.execute(query + " ORDER BY practice_date, session_id", params).fetchall()]
