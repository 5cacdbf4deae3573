"""The raw page archive's index rows, written with the batch that fetched the pages.

The bodies themselves are files (:mod:`mre_crawler.archive`), written and fsync'd by
:func:`_put_bodies` before the flush's transaction opens; :func:`_write_archive_index` then
inserts their rows in that transaction. One row per (URL, body): a re-crawl of an unchanged page
adds no row and no file.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import psycopg
from psycopg.types.json import Jsonb

from mre_crawler.archive import PageArchive
from mre_crawler.urls import BadURL, host_slug, read_url

ID_KEYS = ("track_slug", "event_id", "race_id", "points_id", "session_id")


def _archive_row(url: str, page_type: str | None, status: int | None, sha: str | None, nbytes: int,
                 fetched_at: dt.datetime, meta: dict | None) -> list:
    ids = {k: v for k, v in (meta or {}).items() if k in ID_KEYS and v is not None}
    slug = ids.get("track_slug") or host_slug(url)
    event_id = ids.get("event_id")
    if event_id is None and page_type == "event":
        try:
            event_id = read_url(url).id
        except BadURL:
            event_id = None
    try:
        event_id = int(event_id) if event_id is not None else None
    except (TypeError, ValueError):
        event_id = None
    # [url, sha, page_type, track, event, status, meta, bytes, stored_bytes (filled on write), fetched_at]
    return [url, sha, page_type, str(slug).lower() if slug else None, event_id, status, ids, nbytes, None,
            fetched_at]


def _put_bodies(archive: PageArchive | None, entries: list[tuple]) -> list[list]:
    """Write each body's file (once per body); return the index rows to insert."""
    if archive is None:
        return []
    rows, sizes = [], {}
    for row, body in entries:
        sha = row[1] or hashlib.sha256(body).hexdigest()
        if sha not in sizes:
            sizes[sha] = archive.put(body, sha)
        rows.append([row[0], sha, *row[2:8], sizes[sha], row[9]])
    return rows


def _write_archive_index(cur: psycopg.Cursor, rows: list[list], run_id: int | None) -> None:
    cur.executemany(
        """INSERT INTO mre.page_archive
               (url, body_sha256, page_type, track_slug, event_id, status, meta, bytes, stored_bytes, fetched_at, run_id)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (url, body_sha256) DO NOTHING""",
        [(*r[:6], Jsonb(r[6]), *r[7:], run_id) for r in rows],
    )
