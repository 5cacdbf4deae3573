"""Followed tracks (``mre follow``/``unfollow``/``following``), kept in ``mre.followed_tracks``."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import psycopg


@dataclass(frozen=True)
class Followed:
    slug: str
    practice: bool
    since: dt.date | None
    followed_at: dt.datetime
    last_sync_at: dt.datetime | None
    last_sync_ok_at: dt.datetime | None
    last_sync_status: str | None
    last_sync_message: str | None

    def record(self) -> dict:
        return asdict(self)


_COLUMNS = ("slug, practice, since, followed_at, last_sync_at, last_sync_ok_at, last_sync_status, "
            "last_sync_message")


def follow(conn: psycopg.Connection, slug: str, *, practice: bool, since: dt.date | None) -> bool:
    """Follow ``slug`` (or update its options); True when it was not followed before."""
    row = conn.execute(
        """INSERT INTO mre.followed_tracks AS f (slug, practice, since) VALUES (%s, %s, %s)
           ON CONFLICT (slug) DO UPDATE SET practice = EXCLUDED.practice, since = EXCLUDED.since
           RETURNING (xmax = 0)""",
        (slug, practice, since),
    ).fetchone()
    return bool(row[0])


def unfollow(conn: psycopg.Connection, slug: str) -> bool:
    """Stop following ``slug`` (its crawled data stays); True when it was followed."""
    return conn.execute("DELETE FROM mre.followed_tracks WHERE slug = %s", (slug,)).rowcount > 0


def following(conn: psycopg.Connection) -> list[Followed]:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM mre.followed_tracks ORDER BY slug").fetchall()
    return [Followed(*r) for r in rows]
