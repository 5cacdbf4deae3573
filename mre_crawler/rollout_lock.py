"""One writer at a time for the rollout tools (issue 16).

``mre session-type backfill`` (and its ``--rollback``) take the ``session-type`` lock;
``mre practice archive`` (and ``--restore``) take the ``practice-archive`` lock. The lock is a
session-level PostgreSQL advisory lock, like practice ingestion's (:meth:`PracticeDB.try_lock`),
held on the command's own connection: it goes away with the process, however it ends. The holder
also writes a row in ``mre.rollout_writers`` so a refused second writer can name the running one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg

LOCK_NAMESPACE = "mre-rollout:"


class WriterBusy(RuntimeError):
    """Another process holds the lock; the message names it (one line)."""


def _key(name: str) -> str:
    return LOCK_NAMESPACE + name


def holder(conn: psycopg.Connection, name: str) -> str:
    """A one-line description of who holds ``name`` (best effort)."""
    row = conn.execute(
        "select w.what, w.pid, w.started_by, w.started_at from mre.rollout_writers w "
        "where w.lock_name = %s and exists (select 1 from pg_stat_activity a where a.pid = w.pid)",
        (name,),
    ).fetchone()
    if row is None:
        return f"another process holds the {name} lock"
    what, pid, by, at = row
    return f"{what} is running (pid {pid}, started by {by} at {at:%Y-%m-%d %H:%M:%S%z})"


def try_acquire(conn: psycopg.Connection, name: str, what: str, started_by: str) -> bool:
    got = conn.execute("select pg_try_advisory_lock(hashtextextended(%s, 0))", (_key(name),)).fetchone()[0]
    if got:
        describe(conn, name, what, started_by)
    return bool(got)


def describe(conn: psycopg.Connection, name: str, what: str, started_by: str) -> None:
    """Record (or update) what the holder of ``name`` is doing; only the holder calls this."""
    conn.execute(
        "insert into mre.rollout_writers (lock_name, pid, what, started_by) values (%s, pg_backend_pid(), %s, %s) "
        "on conflict (lock_name) do update set pid = excluded.pid, what = excluded.what, "
        "started_by = excluded.started_by, started_at = now()",
        (name, what, started_by),
    )


def acquire(
    conn: psycopg.Connection, name: str, what: str, started_by: str, *, wait: bool = False,
    timeout: float | None = None, on_wait: Callable[[str], None] | None = None, poll: float = 0.2,
) -> None:
    """Take the lock or raise :class:`WriterBusy`; with ``wait``, poll until it is free (or
    ``timeout`` seconds pass). ``on_wait`` hears once who is being waited for."""
    if try_acquire(conn, name, what, started_by):
        return
    if not wait:
        raise WriterBusy(holder(conn, name))
    if on_wait:
        on_wait(holder(conn, name))
    deadline = None if timeout is None else time.monotonic() + timeout
    while not try_acquire(conn, name, what, started_by):
        if deadline is not None and time.monotonic() > deadline:
            raise WriterBusy(holder(conn, name))
        time.sleep(poll)


def release(conn: psycopg.Connection, name: str) -> None:
    if conn.closed:
        return
    conn.execute("delete from mre.rollout_writers where lock_name = %s and pid = pg_backend_pid()", (name,))
    conn.execute("select pg_advisory_unlock(hashtextextended(%s, 0))", (_key(name),))


