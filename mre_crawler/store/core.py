"""The Store: buffers pages, flushes them in one transaction, retries conflicts, falls back page by page."""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from mre_crawler import items as it
from mre_crawler.extensions.dblost import is_connection_lost
from mre_crawler.store.counts import WriteCounts
from mre_crawler.store.quarantine import _item_raw, _jsonable, _quarantine_row, _resolve_quarantine, _write_quarantine
from mre_crawler.store.removal import _mark_removed_laps, _mark_removed_races, _mark_removed_results, _mark_removed_scoped
from mre_crawler.store.rows import _add_page, _Batch, _check_supported, _Page, _prune_stubs
from mre_crawler.archive import PageArchive
from mre_crawler.store import lineups
from mre_crawler.store.archive import _archive_row, _put_bodies, _write_archive_index
from mre_crawler.store.runs import RUN_LOCK_CLASS, _lock_id, _mark_stored, _now, _write_fetches, close_dead_runs
from mre_crawler.store.specs import (
    ENTRIES, ENTRY_CLASSES, LAPS, MULTI_MAIN_LEGS, MULTI_MAIN_ROWS, ORDER, POINTS_ROUNDS, POINTS_ROWS, RACES_FROM_EVENT,
    RACES_FROM_PAGE, RESULTS,
)
from mre_crawler.store.upsert import (
    _resolve_race_times, _track_zones, copy_first_laps, copy_first_rows, find_first_writes, lock_keys_in_order, upsert_rows,
)
from mre_crawler.store.zones import recompute_track_times

log = logging.getLogger("mre_crawler.store")
# A race page's tables: rows of a race with none stored yet are COPYed straight in.
FIRST_WRITE_SPECS = (RACES_FROM_PAGE, RESULTS, LAPS)
# Tries of a batch that PostgreSQL aborted for a deadlock or serialization failure.
CONFLICT_RETRIES = 5


class Store:
    def __init__(self, conn: psycopg.Connection, *, batch_size: int = 1, run_id: int | None = None,
                 archive: PageArchive | None = None):
        self.conn = conn
        self.archive = archive  # the raw page archive fetched bodies go to (None: not kept)
        self.batch_size = max(1, int(batch_size))
        self.run_id = run_id
        self.totals = WriteCounts()
        self._pages: list[_Page] = []
        self._side = _Batch()  # quarantine entries and fetch records not tied to a page
        # The crawl adds fetch records and quarantine entries from Scrapy's thread while a flush
        # may run on the store pipeline's worker thread: buffers are swapped under this lock so
        # no entry lands in a batch that is already being written (and is lost).
        self._lock = threading.Lock()

    # -- runs -------------------------------------------------------------------------------
    def start_run(self, spider: str, args: dict | None = None) -> int:
        """Record a new run and hold its lock; first close runs whose process died (``aborted``)."""
        with self._tx():
            close_dead_runs(self.conn)
            row = self.conn.execute(
                "INSERT INTO mre.crawl_runs (spider, args, pid, host) VALUES (%s, %s, %s, %s) RETURNING run_id",
                (spider, Jsonb(args or {}), os.getpid(), socket.gethostname()),
            ).fetchone()
            self.run_id = int(row[0])
            # Session-level: held until finish_run or until this connection dies with the process.
            # Never waits: a fresh run id's key is free unless the id sequence was reset (a restored
            # or truncated database) while an old connection still holds it; then this run simply
            # cannot be told from a live one, which is the safe side.
            self.conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (RUN_LOCK_CLASS, _lock_id(self.run_id)))
        return self.run_id

    def finish_run(self, run_id: int | None = None, stats: dict | None = None, finish_reason: str | None = None) -> WriteCounts:
        self.flush()
        run_id = run_id or self.run_id
        if run_id is None:
            return self.totals
        t = self.totals
        with self._tx():
            self.conn.execute(
                """UPDATE mre.crawl_runs SET finished_at = now(), finish_reason = %s, stats = %s,
                       pages = %s, rows_inserted = %s, rows_updated = %s, rows_removed = %s, quarantined = %s
                   WHERE run_id = %s""",
                (finish_reason, Jsonb(_jsonable(stats or {})), t.pages, t.inserted, t.updated, t.removed,
                 t.quarantined, run_id),
            )
            self.conn.execute("SELECT pg_advisory_unlock(%s, %s)", (RUN_LOCK_CLASS, _lock_id(run_id)))
        return t

    # -- buffered writes --------------------------------------------------------------------
    def write_page(
        self,
        item: Any,
        *,
        url: str | None = None,
        page_type: str | None = None,
        fetched_at: dt.datetime | None = None,
        rejected: Iterable[it.Rejected] = (),
        body: bytes | None = None,
        body_sha256: str | None = None,
        parser_version: int | None = None,
        items_digest: str | None = None,
        part_digests: dict[str, str] | None = None,
        unchanged_parts: frozenset[str] = frozenset(),
    ) -> WriteCounts:
        """Buffer one page's item(s); flush when the batch is full.

        ``part_digests`` / ``unchanged_parts`` (from ``mre reprocess``): digests of parts of the
        parse (``{"laps": ...}``), recorded with the page, and the parts whose stored rows are
        known to be as this write would leave them (the same body parsed to the same part), which
        are then not staged again."""
        if isinstance(item, it.PageItem):
            url, page_type, fetched_at = item.url, item.page_type, item.fetched_at
            rejected, body, body_sha256 = item.rejected, item.body, item.body_sha256
            parser_version, items_digest = item.parser_version, item.items_digest
            item = item.item
        if url is None:
            raise ValueError("write_page needs the page URL")
        _check_supported(item)
        with self._lock:
            self._pages.append(_Page(item, url, page_type, fetched_at, list(rejected), body, body_sha256,
                                     parser_version, items_digest, part_digests, frozenset(unchanged_parts)))
            full = len(self._pages) >= self.batch_size
        return self.flush() if full else WriteCounts()

    def quarantine(
        self,
        url: str,
        page_type: str | None,
        body: bytes | None,
        reason: str,
        raw: Any = None,
        *,
        item_key: str = "",
    ) -> WriteCounts:
        """Keep a page (or one item of it) that failed: body, hash, reason, raw fields."""
        row = _quarantine_row(url, page_type, body, None, reason, raw, item_key)
        with self._lock:
            self._side.quarantine.append(row)
            full = len(self._pages) + 1 >= self.batch_size
        return self.flush() if full else WriteCounts()

    def record_fetch(
        self,
        url: str,
        page_type: str | None,
        status: int | None,
        body_sha256: str | None,
        nbytes: int | None,
        from_cache: bool = False,
        fetched_at: dt.datetime | None = None,
        *,
        body: bytes | None = None,
        meta: dict | None = None,
        rendered: bool = False,
    ) -> None:
        """Bookkeeping for fetched_pages (written with the next flush; not counted as data rows).

        With ``body`` (and an archive) the body goes to the raw page archive with the same flush:
        its file is written before the transaction that commits its index row. ``meta``: the ids
        the crawler carried, which a re-parse needs (a race page does not show its event).
        ``rendered``: the body came from chromium (scrapy-playwright's ``playwright`` flag).

        A fetch record says nothing about storage: only ``stored_pages``, written with a page's
        rows, tells that a body is stored (:meth:`stored_hashes`)."""
        fetched_at = fetched_at or _now()
        row = (url, page_type, status, body_sha256, nbytes, bool(from_cache), fetched_at, self.run_id, bool(rendered))
        archived = None
        if body and self.archive is not None:
            archived = (_archive_row(url, page_type, status, body_sha256, len(body), fetched_at, meta), body)
        with self._lock:
            self._side.fetches.append(row)
            if archived is not None:
                self._side.archive.append(archived)

    def stored_hashes(self, urls: Iterable[str]) -> dict[str, str]:
        """URL -> SHA-256 of the body whose rows are stored (committed with them): a crawler can
        skip parsing and storing a page whose body is unchanged (it cannot change any row)."""
        urls = list(urls)
        rows = self.conn.execute("SELECT url, body_sha256 FROM mre.stored_pages WHERE url = ANY(%s)", (urls,)).fetchall()
        return dict(rows)

    def flush(self) -> WriteCounts:
        """Write everything buffered in one transaction; return the rows it changed.

        A batch PostgreSQL rejects is written again page by page; a page that fails on its own is
        quarantined ("store failed: …") and named in ``counts.failed``: its rows are not stored,
        and whoever vouches for the page (a shared-crawl claim) must not call it done. Only a lost
        connection raises: then nothing of the batch is stored and nothing can be written."""
        with self._lock:
            pages, self._pages = self._pages, []
            side, self._side = self._side, _Batch()
        if not pages and not side.quarantine and not side.fetches and not side.archive:
            return WriteCounts()
        try:
            counts = self._flush_retrying_conflicts(pages, side)
        except psycopg.Error as exc:
            if is_connection_lost(exc):
                raise  # the server is gone: nothing to retry page by page
            if len(pages) <= 1:
                counts = self._quarantine_failed(pages, side, exc)
            else:
                log.warning("batch of %d pages failed (%s); retrying page by page", len(pages), _reason(exc))
                counts = WriteCounts()
                if side.quarantine or side.fetches or side.archive:
                    try:
                        counts.merge(self._flush_retrying_conflicts([], side))
                    except psycopg.Error as side_exc:
                        if is_connection_lost(side_exc):
                            raise
                        # Fetch records and quarantine entries of other pages (already listed as
                        # failed where they failed): not page rows, nothing vouches for them.
                        log.warning("fetch and quarantine records of the batch not written: %s", _reason(side_exc))
                for page in pages:
                    try:
                        counts.merge(self._flush_retrying_conflicts([page], _Batch()))
                    except psycopg.Error as page_exc:
                        if is_connection_lost(page_exc):
                            raise
                        counts.merge(self._quarantine_failed([page], _Batch(), page_exc))
        self.totals.merge(counts)
        return counts

    def discard_pages(self) -> None:
        """Forget the buffered pages (not their fetch and quarantine records)."""
        with self._lock:
            self._pages = []

    def close(self) -> WriteCounts:
        return self.flush()

    # -- internals --------------------------------------------------------------------------
    def _tx(self):
        if self.conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS:
            self.conn.commit()
        return self.conn.transaction()

    def _flush_retrying_conflicts(self, pages: list[_Page], side: _Batch) -> WriteCounts:
        """One batch, tried again when PostgreSQL aborted it for a deadlock or a serialization
        failure: two crawls writing the same rows at once (overlapping cron runs, several workers).
        The transaction rolled back whole, so trying again is safe; rows are also written in key
        order (:func:`upsert_rows`), which makes such conflicts rare in the first place."""
        for attempt in range(1, CONFLICT_RETRIES + 1):
            try:
                return self._flush(pages, side)
            except psycopg.Error as exc:
                # SQLSTATE class 40. psycopg's DeadlockDetected (40P01) and SerializationFailure
                # (40001) are not subclasses of its TransactionRollback (40000): test the code.
                if not is_conflict(exc):
                    raise
                if attempt == CONFLICT_RETRIES:
                    raise psycopg.DatabaseError(f"still conflicting after {attempt} tries: {_reason(exc)}") from exc
                log.info("batch of %d pages: %s; trying again (%d)", len(pages), _reason(exc), attempt)
                time.sleep(random.uniform(0.05, 0.25) * attempt)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _quarantine_failed(self, pages: list[_Page], side: _Batch, exc: Exception) -> WriteCounts:
        """The pages' rows are not stored: keep the pages in quarantine, name them in ``failed``."""
        reason = f"store failed: {_reason(exc)}"
        # ERROR: the database refused rows of a whole page (not LiveRC's fault); crawl health says so.
        for page in pages:
            log.error("page not stored: %s (%s)", page.url, reason)
        if not pages:
            log.warning("fetch and quarantine records not written: %s", reason)
        batch = _Batch(fetches=side.fetches, archive=side.archive)
        for page in pages:
            batch.quarantine.append(
                _quarantine_row(page.url, page.page_type, page.body, page.body_sha256, reason,
                                _item_raw(page.item), "")
            )
        try:
            counts = self._flush_retrying_conflicts([], batch)
        except psycopg.Error as q_exc:
            if is_connection_lost(q_exc):
                raise
            log.warning("quarantine entries of the failed pages not written: %s", _reason(q_exc))
            counts = WriteCounts()
        counts.failed.extend((page.url, reason) for page in pages)
        return counts

    def _flush(self, pages: list[_Page], side: _Batch) -> WriteCounts:
        batch = _Batch(quarantine=list(side.quarantine), fetches=list(side.fetches), archive=list(side.archive))
        for page in pages:
            _add_page(batch, page)
        counts = WriteCounts(pages=len(pages))
        _prune_stubs(batch)
        # Bodies first, durably: the index rows that point at them commit below.
        archived = _put_bodies(self.archive, batch.archive) if batch.archive else []
        with self._tx():
            cur = self.conn.cursor()
            lock_keys_in_order(cur, batch, (*ORDER, *lineups.SPECS))
            zones_before = _track_zones(cur, batch.dashboard_slugs) if batch.dashboard_slugs else {}
            for spec in (*ORDER, *lineups.SPECS):
                if spec is RACES_FROM_EVENT and batch.pending_race_times:
                    _resolve_race_times(cur, batch)
                if spec is RACES_FROM_PAGE:
                    find_first_writes(cur, batch)
                if spec is LAPS:
                    if copied := copy_first_laps(cur, batch):
                        counts.add(spec.table, copied)
                elif spec in FIRST_WRITE_SPECS and (copied := copy_first_rows(cur, batch, spec)):
                    counts.add(spec.table, copied)
                rows = batch.rows.get(spec.name)
                if rows:
                    ins, upd = upsert_rows(cur, spec, list(rows.values()))
                    counts.add(spec.table, ins, upd)
                if spec is RACES_FROM_EVENT and batch.event_scope:
                    counts.add("races", removed=_mark_removed_races(cur, batch))
                if spec is RESULTS and batch.race_scope:
                    counts.add("race_results", removed=_mark_removed_results(cur, batch))
                if spec is LAPS and batch.race_scope:
                    counts.add("laps", removed=_mark_removed_laps(cur, batch))
                if spec is ENTRIES and batch.entry_scope:
                    counts.add("entry_list_classes", removed=_mark_removed_scoped(
                        cur, "entry_list_classes", "event_id", ("class_name",), batch, ENTRY_CLASSES, batch.entry_scope))
                    counts.add("entries", removed=_mark_removed_scoped(
                        cur, "entries", "event_id", ("class_name", "name_key"), batch, ENTRIES, batch.entry_scope))
                if spec is POINTS_ROUNDS and batch.points_scope:
                    counts.add("points_rows", removed=_mark_removed_scoped(
                        cur, "points_rows", "points_id", ("class_name", "name_key"), batch, POINTS_ROWS,
                        batch.points_scope))
                    counts.add("points_rounds", removed=_mark_removed_scoped(
                        cur, "points_rounds", "points_id", ("class_name", "name_key", "round_number"), batch,
                        POINTS_ROUNDS, batch.points_scope))
                if spec is MULTI_MAIN_LEGS and batch.multi_main_scope:
                    counts.add("multi_main_rows", removed=_mark_removed_scoped(
                        cur, "multi_main_rows", "multi_main_id", ("name_key",), batch, MULTI_MAIN_ROWS,
                        batch.multi_main_scope))
                    counts.add("multi_main_legs", removed=_mark_removed_scoped(
                        cur, "multi_main_legs", "multi_main_id", ("name_key", "leg_number"), batch,
                        MULTI_MAIN_LEGS, batch.multi_main_scope))
            lineups.mark_removed(cur, batch, counts)
            if batch.dashboard_slugs:
                after = _track_zones(cur, batch.dashboard_slugs)
                for slug in batch.dashboard_slugs:
                    if after.get(slug) != zones_before.get(slug):
                        counts.add("races", updated=recompute_track_times(self.conn, slug, _in_tx=True))
            if pages:
                _resolve_quarantine(cur, [p.url for p in pages], batch.quarantine)
                _mark_stored(cur, pages, self.run_id)
            if batch.quarantine:
                counts.quarantined += _write_quarantine(cur, batch.quarantine, self.run_id)
            if batch.fetches:
                _write_fetches(cur, batch.fetches, self.run_id)
            if archived:
                _write_archive_index(cur, archived, self.run_id)
        return counts


def is_conflict(exc: BaseException) -> bool:
    """A transaction PostgreSQL rolled back for a conflict with another one (deadlock,
    serialization failure: SQLSTATE class 40): trying it again is safe."""
    return (getattr(exc, "sqlstate", None) or "").startswith("40")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
