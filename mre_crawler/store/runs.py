"""Run bookkeeping: crawl runs and their liveness locks, fetch records, "this body is stored" markers."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

import psycopg
from psycopg.types.json import Jsonb

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
            latest[page.url] = (page.url, page.page_type, sha, run_id, page.parser_version, page.items_digest,
                                Jsonb(page.part_digests) if page.part_digests is not None else None)
    if latest:
        # The parser version and items digest say which parse built the rows (mre reprocess skips
        # on them). A write that does not know its digest keeps the stored one only when it comes
        # from the same body and parser version (then the items are the same).
        cur.executemany(
            """INSERT INTO mre.stored_pages AS s
                   (url, page_type, body_sha256, run_id, parser_version, items_digest, part_digests)
               VALUES (%s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (url) DO UPDATE SET page_type = COALESCE(EXCLUDED.page_type, s.page_type),
                   body_sha256 = EXCLUDED.body_sha256, stored_at = now(), run_id = EXCLUDED.run_id,
                   parser_version = EXCLUDED.parser_version,
                   items_digest = CASE WHEN EXCLUDED.items_digest IS NULL AND s.body_sha256 = EXCLUDED.body_sha256
                                        AND s.parser_version IS NOT DISTINCT FROM EXCLUDED.parser_version
                                       THEN s.items_digest ELSE EXCLUDED.items_digest END,
                   part_digests = CASE WHEN EXCLUDED.part_digests IS NULL AND s.body_sha256 = EXCLUDED.body_sha256
                                        AND s.parser_version IS NOT DISTINCT FROM EXCLUDED.parser_version
                                       THEN s.part_digests ELSE EXCLUDED.part_digests END
               WHERE ROW(s.body_sha256, s.parser_version) IS DISTINCT FROM ROW(EXCLUDED.body_sha256, EXCLUDED.parser_version)
                  OR (EXCLUDED.items_digest IS NOT NULL AND s.items_digest IS DISTINCT FROM EXCLUDED.items_digest)
                  OR (EXCLUDED.part_digests IS NOT NULL AND s.part_digests IS DISTINCT FROM EXCLUDED.part_digests)""",
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
               (url, page_type, status, body_sha256, bytes, from_cache, fetched_at, first_fetched_at, changed_at, run_id,
                rendered)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (url) DO UPDATE SET
               page_type = COALESCE(EXCLUDED.page_type, f.page_type), status = EXCLUDED.status,
               changed_at = CASE WHEN EXCLUDED.body_sha256 IS DISTINCT FROM f.body_sha256
                                  AND EXCLUDED.body_sha256 IS NOT NULL
                                 THEN EXCLUDED.fetched_at ELSE f.changed_at END,
               body_sha256 = COALESCE(EXCLUDED.body_sha256, f.body_sha256), bytes = EXCLUDED.bytes,
               from_cache = EXCLUDED.from_cache, fetched_at = EXCLUDED.fetched_at,
               fetch_count = f.fetch_count + 1, run_id = EXCLUDED.run_id, rendered = EXCLUDED.rendered""",
        [(u, pt, st, sha, nb, fc, at, at, at, run, rr) for (u, pt, st, sha, nb, fc, at, run, rr) in rows],
    )
