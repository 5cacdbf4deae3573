"""Retention: move old practice days out of the hot tables, reversibly.

``mre practice archive --older-than 6m`` moves every practice day dated before (today - 6 months)
with its event row, statistics, classes, sessions and laps into the same-named tables of schema
``mre_archive``, in one transaction; ``--restore`` moves them back. Nothing is archived unless
asked. Generated columns (the panel differences) are recomputed on the way back. Ingesting an
archived day restores it first (:func:`restore_keys`), so a day never lives in both places.
"""

from __future__ import annotations

import datetime as dt

import psycopg
from psycopg import sql

# Parents first (insert order); children first for deletes.
TABLES = ("events", "practice_days", "practice_day_classes", "practice_sessions", "practice_laps")


def _columns(cur: psycopg.Cursor, table: str) -> list[str]:
    return [r[0] for r in cur.execute(
        """SELECT column_name FROM information_schema.columns
           WHERE table_schema = 'mre' AND table_name = %s AND is_generated = 'NEVER'
           ORDER BY ordinal_position""", (table,)).fetchall()]


def _where(table: str) -> sql.Composable:
    if table == "practice_laps":
        return sql.SQL("session_id IN (SELECT session_id FROM {} WHERE source_event_id = ANY(%(keys)s))")
    return sql.SQL("source_event_id = ANY(%(keys)s)")


def _move(cur: psycopg.Cursor, keys: list[str], source: str, target: str) -> None:
    for table in TABLES:
        cols = sql.SQL(", ").join(map(sql.Identifier, _columns(cur, table)))
        where = _where(table)
        if table == "practice_laps":
            where = where.format(sql.Identifier(source, "practice_sessions"))
        cur.execute(sql.SQL("INSERT INTO {t} ({c}) SELECT {c} FROM {s} WHERE {w} ON CONFLICT DO NOTHING").format(
            t=sql.Identifier(target, table), s=sql.Identifier(source, table), c=cols, w=where), {"keys": keys})
    for table in reversed(TABLES):
        where = _where(table)
        if table == "practice_laps":
            where = where.format(sql.Identifier(source, "practice_sessions"))
        cur.execute(sql.SQL("DELETE FROM {s} WHERE {w}").format(s=sql.Identifier(source, table), w=where),
                    {"keys": keys})


def archive_days(conn: psycopg.Connection, before: dt.date, track: str | None = None) -> list[str]:
    """Archive the practice days dated before ``before``; their source event ids."""
    with conn.transaction():
        cur = conn.cursor()
        query = "SELECT source_event_id FROM mre.practice_days WHERE practice_date < %s"
        params: list = [before]
        if track:
            query += " AND track_slug = %s"
            params.append(track)
        keys = [r[0] for r in cur.execute(query + " ORDER BY source_event_id FOR UPDATE", params).fetchall()]
        if keys:
            _move(cur, keys, "mre", "mre_archive")
    return keys


def restore_days(conn: psycopg.Connection, track: str | None = None) -> list[str]:
    with conn.transaction():
        cur = conn.cursor()
        query = "SELECT source_event_id FROM mre_archive.practice_days"
        params: list = []
        if track:
            query += " WHERE track_slug = %s"
            params.append(track)
        keys = [r[0] for r in cur.execute(query + " ORDER BY source_event_id", params).fetchall()]
        if keys:
            _move(cur, keys, "mre_archive", "mre")
    return keys


def restore_keys(cur: psycopg.Cursor, keys: list[str]) -> int:
    """Inside a caller's transaction: bring these days back if archived; how many were."""
    found = [r[0] for r in cur.execute("SELECT source_event_id FROM mre_archive.practice_days "
                                       "WHERE source_event_id = ANY(%s)", (keys,)).fetchall()]
    if found:
        _move(cur, found, "mre_archive", "mre")
    return len(found)
