"""Run bookkeeping: crawl runs and their liveness locks, fetch records, "this body is stored" markers."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

import psycopg

from mre_crawler.store.rows import _Page

log = logging.getLogger("mre_crawler.store")
# First key of the session advisory lock a crawl holds on its run for its whole life
# (pg_advisory_lock(RUN_LOCK_CLASS, run_id)): a run whose lock nobody holds is dead.
RUN_LOCK_CLASS = 7715


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _mark_stored(cur: psycopg.Cursor, pages: list[_Page], run_id: int | None) -> None:
    """The "this body is stored" markers, in the transaction that writes the pages' rows."""
    latest: dict[str, tuple] = {}
    for page in pages:
        sha = page.body_sha256 or (hashlib.sha256(page.body).hexdigest() if page.body is not None else None)
        if sha is not None:
            latest[page.url] = (page.url, page.page_type, sha, run_id)
    if latest:
        cur.executemany(
            """INSERT INTO mre.stored_pages AS s (url, page_type, body_sha256, run_id) VALUES (%s, %s, %s, %s)
               ON CONFLICT (url) DO UPDATE SET page_type = COALESCE(EXCLUDED.page_type, s.page_type),
                   body_sha256 = EXCLUDED.body_sha256, stored_at = now(), run_id = EXCLUDED.run_id
               WHERE s.body_sha256 IS DISTINCT FROM EXCLUDED.body_sha256""",
            list(latest.values()),
        )


def _lock_id(run_id: int) -> int:
    return int(run_id) % 2_147_483_647  # the two-key advisory lock takes int4 keys


def close_dead_runs(conn: psycopg.Connection) -> int:
    """Close the runs left open by a process that died (kill -9, power loss): ``aborted``.

    A live run holds its advisory lock on its own connection; PostgreSQL drops it when that
    connection ends, so an open run whose lock nobody holds has no process behind it."""
    cur = conn.execute(
        """UPDATE mre.crawl_runs r SET finished_at = now(), finish_reason = 'aborted'
           WHERE r.finished_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM pg_locks l
                             WHERE l.locktype = 'advisory' AND l.database = (SELECT oid FROM pg_database
                                                                             WHERE datname = current_database())
                               AND l.classid::bigint = %s AND l.objid::bigint = r.run_id %% 2147483647
                               AND l.objsubid = 2)""",
        (RUN_LOCK_CLASS,),
    )
    if cur.rowcount:
        log.info("closed %d crawl run(s) whose process had died (aborted)", cur.rowcount)
    return cur.rowcount


def _write_fetches(cur: psycopg.Cursor, rows: list[tuple], run_id: int | None) -> None:
    cur.executemany(
        """INSERT INTO mre.fetched_pages AS f
               (url, page_type, status, body_sha256, bytes, from_cache, fetched_at, first_fetched_at, changed_at, run_id)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (url) DO UPDATE SET
               page_type = COALESCE(EXCLUDED.page_type, f.page_type), status = EXCLUDED.status,
               changed_at = CASE WHEN EXCLUDED.body_sha256 IS DISTINCT FROM f.body_sha256
                                  AND EXCLUDED.body_sha256 IS NOT NULL
                                 THEN EXCLUDED.fetched_at ELSE f.changed_at END,
               body_sha256 = COALESCE(EXCLUDED.body_sha256, f.body_sha256), bytes = EXCLUDED.bytes,
               from_cache = EXCLUDED.from_cache, fetched_at = EXCLUDED.fetched_at,
               fetch_count = f.fetch_count + 1, run_id = EXCLUDED.run_id""",
        [(u, pt, st, sha, nb, fc, at, at, at, run) for (u, pt, st, sha, nb, fc, at, run) in rows],
    )
