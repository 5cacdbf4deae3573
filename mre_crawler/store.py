"""The write side of the system of record: typed items -> PostgreSQL, batched and idempotent.

Used by the Scrapy store pipeline and (later) by practice ingestion. It does not depend on the
parsers: it takes the dataclasses of :mod:`mre_crawler.items`.

API::

    store = Store(conn, batch_size=1)           # batch_size pages are buffered, then flushed
    run_id = store.start_run("event", {"url": ...})
    counts = store.write_page(item, url=..., page_type=..., fetched_at=..., rejected=[...])
    store.quarantine(url, page_type, body, reason, raw=None, item_key="")
    store.record_fetch(url, page_type, status, body_sha256, nbytes, from_cache)
    counts = store.flush()                      # writes whatever is buffered, one transaction
    store.finish_run(run_id, stats)             # flushes, then records stats and totals
    store.totals                                # WriteCounts over the store's life

``write_page`` accepts a :class:`~mre_crawler.items.PageItem` too (``write_page(page_item)``),
or the page-level item with ``url=``. It dispatches on the item type: ``TrackListing`` (or a
list of them), ``Track``, a list of ``EventSummary``, ``Event``, ``Race`` (with its results and
laps), ``EntryList``, ``PointsTable``. It returns the :class:`WriteCounts` of the flush it
triggered (all zero while the page is only buffered).

How a flush writes (per table): rows are deduplicated on the natural key in Python, COPYed into a
temporary stage table, then ``INSERT … SELECT … ON CONFLICT (key) DO UPDATE SET col =
COALESCE(EXCLUDED.col, t.col) … WHERE (the row actually differs)``. So:

- an unchanged re-crawl updates no row (and ``updated_at`` stays put): counts are 0;
- a good stored value is never overwritten by NULL or an empty string (empty text is NULL);
- columns two pages both describe (a race's name is on the event page and the race page) have
  one authoritative page; the other only fills them while they are NULL, so the two never
  flip-flop on re-crawls;
- rows of a page that vanished upstream (a race gone from its event page, a result row gone from
  its race page, an entry gone from its entry list) get ``removed_at = now()``, never deleted;
  a row that comes back has ``removed_at`` cleared. Rows the validate pipeline rejected are
  *not* marked removed (they are in quarantine, not gone);
- missing parents are created as stubs (a race page seen before its event page creates the
  event row with only its id; the event page fills it later).

If a batched flush fails, it is rolled back and its pages are retried one by one; a page that
still fails is quarantined with the database's reason, and the crawl goes on.

Times: a race's ``completed_local`` is stored with the track's zone and the UTC instant computed
with zoneinfo (:func:`mre_crawler.timezones.local_to_utc`); when a track's zone changes (first
dashboard crawl, or ``mre tracks set-timezone``) its races' instants are recomputed
(:func:`recompute_track_times`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from mre_crawler import items as it
from mre_crawler.normalize import class_key, clean_text, driver_display_name, driver_name_key
from mre_crawler.timezones import SOURCE_OVERRIDE, local_to_utc, zone_from_address

log = logging.getLogger(__name__)
SCHEMA = "mre"
# First key of the session advisory lock a crawl holds on its run for its whole life
# (pg_advisory_lock(RUN_LOCK_CLASS, run_id)): a run whose lock nobody holds is dead.
RUN_LOCK_CLASS = 7715
# Tries of a batch that PostgreSQL aborted for a deadlock or serialization failure.
CONFLICT_RETRIES = 5


class UnsupportedItem(TypeError):
    """The store has no table for this item type (yet): practice items come with a later issue."""


# ---------------------------------------------------------------------------------------------
# Counts
# ---------------------------------------------------------------------------------------------
@dataclass
class WriteCounts:
    """Rows actually changed by a write: inserted, updated (a value differed or a removed row came
    back), removed (marked ``removed_at``); quarantined entries; pages written."""

    inserted: int = 0
    updated: int = 0
    removed: int = 0
    quarantined: int = 0
    pages: int = 0
    by_table: dict[str, list[int]] = field(default_factory=dict)  # table -> [inserted, updated, removed]

    @property
    def changed(self) -> int:
        return self.inserted + self.updated + self.removed

    def add(self, table: str, inserted: int = 0, updated: int = 0, removed: int = 0) -> None:
        self.inserted += inserted
        self.updated += updated
        self.removed += removed
        row = self.by_table.setdefault(table, [0, 0, 0])
        row[0] += inserted
        row[1] += updated
        row[2] += removed

    def merge(self, other: WriteCounts) -> WriteCounts:
        for table, (i, u, r) in other.by_table.items():
            self.add(table, i, u, r)
        self.quarantined += other.quarantined
        self.pages += other.pages
        return self


# ---------------------------------------------------------------------------------------------
# Table specs: natural key, columns, merge policy
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Upsert:
    """How one page type writes one table.

    ``cols``: the new value wins unless it is NULL. ``fill``: written only where the stored value
    is NULL (another page is authoritative). ``guarded``: column -> SQL expression for the new
    value (static text; ``t`` is the stored row, ``EXCLUDED`` the new one). ``restores``: this
    page is authoritative for the row's presence, so it clears ``removed_at``.
    """

    name: str  # a label for counts ("races<-event")
    table: str
    key: tuple[str, ...]
    cols: tuple[str, ...] = ()
    fill: tuple[str, ...] = ()
    guarded: tuple[tuple[str, str], ...] = ()
    restores: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return self.key + self.cols + self.fill + tuple(c for c, _ in self.guarded)


TRACK_STUB = Upsert("tracks<-stub", "tracks", ("slug",))
TRACKS_FROM_LISTING = Upsert(
    "tracks<-catalogue",
    "tracks",
    ("slug",),
    cols=("slug_raw", "latest_event_name", "last_activity", "catalogue_status", "catalogue_row_url"),
    fill=("name",),
)
TRACKS_FROM_DASHBOARD = Upsert(
    "tracks<-dashboard",
    "tracks",
    ("slug",),
    cols=(
        "name", "address_name", "address_lines", "city", "region", "postcode", "country", "country_code",
        "phone", "website", "email", "facebook", "live_status", "results_this_month", "sessions_this_month",
        "lifetime_laps", "lifetime_practice_sessions", "lifetime_races", "lifetime_entries", "lifetime_events",
    ),
    # A zone set by a person (override) is never replaced by a crawl.
    guarded=tuple(
        (c, f"CASE WHEN t.time_zone_source = '{SOURCE_OVERRIDE}' THEN t.{c} ELSE COALESCE(EXCLUDED.{c}, t.{c}) END")
        for c in ("time_zone", "time_zone_source", "time_zone_note")
    ),
)
EVENT_STUB = Upsert("events<-stub", "events", ("source_event_id",), cols=("source", "event_id", "track_slug"))
EVENTS_FROM_LIST = Upsert(
    "events<-list",
    "events",
    ("source_event_id",),
    cols=("source", "event_id", "track_slug", "listed_start_local", "listed_start_has_time", "listed_date",
          "listed_entries", "listed_drivers"),
    fill=("name",),
)
EVENTS_FROM_PAGE = Upsert(
    "events<-event",
    "events",
    ("source_event_id",),
    cols=("source", "event_id", "track_slug", "name", "track_name", "date_start", "date_end", "race_track",
          "entries", "drivers", "total_race_laps"),
    restores=True,
)
RACES_FROM_EVENT = Upsert(
    "races<-event",
    "races",
    ("race_id",),
    cols=("event_id", "track_slug", "round_name", "race_number", "class_name", "class_key", "race_name",
          "race_label_raw", "heat_number", "heat_count", "completed_local", "time_zone", "completed_utc",
          "time_flag", "schedule_index"),
    restores=True,
)
RACES_FROM_PAGE = Upsert(
    "races<-race",
    "races",
    ("race_id",),
    cols=("track_slug", "length_seconds", "length_kind", "caption_tag"),
    fill=("event_id", "race_number", "race_name", "round_name"),
)
DRIVERS = Upsert("drivers", "drivers", ("driver_id",), cols=("display_name", "normalized_name", "printed_name"))
RESULT_COLS = (
    "position", "car_number", "driver_name", "qual_position", "grid_position", "laps", "total_time",
    "behind_seconds", "behind_laps", "fastest_lap", "fastest_lap_number", "avg_lap", "avg_top5", "avg_top10",
    "avg_top15", "top2_consecutive", "top3_consecutive", "std_deviation", "consistency",
    "std_deviation_precise", "consistency_precise", "status", "driver_id_source",
)
RESULTS = Upsert("race_results", "race_results", ("race_id", "driver_id"), cols=RESULT_COLS, restores=True)
LAPS = Upsert("laps", "laps", ("race_id", "driver_id", "lap_number"), cols=("lap_time", "position", "pace_raw"),
              restores=True)
ENTRY_LISTS = Upsert("entry_lists", "entry_lists", ("event_id",), cols=("total_entries", "total_drivers"))
ENTRY_CLASSES = Upsert("entry_list_classes", "entry_list_classes", ("event_id", "class_name"),
                       cols=("class_key", "printed_entries"), restores=True)
ENTRIES = Upsert("entries", "entries", ("event_id", "class_name", "name_key"),
                 cols=("class_key", "row_number", "display_name", "sort_name", "transponder"), restores=True)
POINTS_TABLES = Upsert("points_tables", "points_tables", ("points_id",),
                       cols=("track_slug", "caption", "tie_breaker_rule"), fill=("event_id",))
POINTS_ROWS = Upsert("points_rows", "points_rows", ("points_id", "class_name", "name_key"),
                     cols=("class_key", "position", "driver_name", "result_points", "tie_breaker_raw"), restores=True)
POINTS_ROUNDS = Upsert("points_rounds", "points_rounds", ("points_id", "class_name", "name_key", "round_number"),
                       cols=("points", "laps", "total_time", "flag", "counted"), restores=True)

# Flush order: parents before children (foreign keys).
ORDER = (
    TRACK_STUB, TRACKS_FROM_LISTING, TRACKS_FROM_DASHBOARD, EVENT_STUB, EVENTS_FROM_LIST, EVENTS_FROM_PAGE,
    RACES_FROM_EVENT, RACES_FROM_PAGE, DRIVERS, RESULTS, LAPS, ENTRY_LISTS, ENTRY_CLASSES, ENTRIES,
    POINTS_TABLES, POINTS_ROWS, POINTS_ROUNDS,
)


# ---------------------------------------------------------------------------------------------
# One batch: rows per spec (deduplicated on the key) and the scopes for removal marking
# ---------------------------------------------------------------------------------------------
@dataclass
class _Batch:
    rows: dict[str, dict[tuple, tuple]] = field(default_factory=dict)  # spec.name -> key -> row
    event_scope: set[int] = field(default_factory=set)  # event pages written: their races
    race_scope: set[int] = field(default_factory=set)  # race pages written: their results and laps
    held_results: set[tuple[int, int]] = field(default_factory=set)  # rejected rows: not "removed"
    entry_scope: set[int] = field(default_factory=set)
    points_scope: set[int] = field(default_factory=set)
    pending_race_times: list[tuple[tuple, dict]] = field(default_factory=list)
    dashboard_slugs: set[str] = field(default_factory=set)
    quarantine: list[tuple] = field(default_factory=list)
    fetches: list[tuple] = field(default_factory=list)

    def put(self, spec: Upsert, row: Sequence[Any]) -> None:
        row = tuple(_blank_to_none(v) for v in row)
        self.rows.setdefault(spec.name, {})[row[: len(spec.key)]] = row


def _blank_to_none(v: Any) -> Any:
    if isinstance(v, str):
        return v if v.strip() else None
    if isinstance(v, (list, tuple)) and not v:
        return None
    return v


@dataclass
class _Page:
    item: Any
    url: str
    page_type: str | None
    fetched_at: dt.datetime | None
    rejected: list[it.Rejected]
    body: bytes | None
    body_sha256: str | None


# ---------------------------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------------------------
class Store:
    def __init__(self, conn: psycopg.Connection, *, batch_size: int = 1, run_id: int | None = None):
        self.conn = conn
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
    ) -> WriteCounts:
        if isinstance(item, it.PageItem):
            url, page_type, fetched_at = item.url, item.page_type, item.fetched_at
            rejected, body, body_sha256 = item.rejected, item.body, item.body_sha256
            item = item.item
        if url is None:
            raise ValueError("write_page needs the page URL")
        _check_supported(item)
        with self._lock:
            self._pages.append(_Page(item, url, page_type, fetched_at, list(rejected), body, body_sha256))
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
    ) -> None:
        """Bookkeeping for fetched_pages (written with the next flush; not counted as data rows).

        A fetch record says nothing about storage: only ``stored_pages``, written with a page's
        rows, tells that a body is stored (:meth:`stored_hashes`)."""
        row = (url, page_type, status, body_sha256, nbytes, bool(from_cache), fetched_at or _now(), self.run_id)
        with self._lock:
            self._side.fetches.append(row)

    def stored_hashes(self, urls: Iterable[str]) -> dict[str, str]:
        """URL -> SHA-256 of the body whose rows are stored (committed with them): a crawler can
        skip parsing and storing a page whose body is unchanged (it cannot change any row)."""
        urls = list(urls)
        rows = self.conn.execute("SELECT url, body_sha256 FROM mre.stored_pages WHERE url = ANY(%s)", (urls,)).fetchall()
        return dict(rows)

    def flush(self) -> WriteCounts:
        """Write everything buffered in one transaction; return the rows it changed."""
        with self._lock:
            pages, self._pages = self._pages, []
            side, self._side = self._side, _Batch()
        if not pages and not side.quarantine and not side.fetches:
            return WriteCounts()
        try:
            counts = self._flush_retrying_conflicts(pages, side)
        except psycopg.OperationalError:
            raise  # the server is gone: nothing to retry page by page
        except psycopg.Error as exc:
            if len(pages) <= 1:
                counts = self._quarantine_failed(pages, side, exc)
            else:
                log.warning("batch of %d pages failed (%s); retrying page by page", len(pages), _reason(exc))
                counts = self._flush_retrying_conflicts([], side)
                for page in pages:
                    try:
                        counts.merge(self._flush_retrying_conflicts([page], _Batch()))
                    except psycopg.OperationalError:
                        raise
                    except psycopg.Error as page_exc:
                        counts.merge(self._quarantine_failed([page], _Batch(), page_exc))
        self.totals.merge(counts)
        return counts

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
            except psycopg.errors.TransactionRollback as exc:
                if attempt == CONFLICT_RETRIES:
                    raise psycopg.DatabaseError(f"still conflicting after {attempt} tries: {_reason(exc)}") from exc
                log.info("batch of %d pages: %s; trying again (%d)", len(pages), _reason(exc), attempt)
                time.sleep(random.uniform(0.05, 0.25) * attempt)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _quarantine_failed(self, pages: list[_Page], side: _Batch, exc: Exception) -> WriteCounts:
        reason = f"store failed: {_reason(exc)}"
        log.warning("%s: %s", pages[0].url if pages else "(side writes)", reason)
        batch = _Batch(fetches=side.fetches)
        for page in pages:
            batch.quarantine.append(
                _quarantine_row(page.url, page.page_type, page.body, page.body_sha256, reason,
                                _item_raw(page.item), "")
            )
        return self._flush([], batch)

    def _flush(self, pages: list[_Page], side: _Batch) -> WriteCounts:
        batch = _Batch(quarantine=list(side.quarantine), fetches=list(side.fetches))
        for page in pages:
            _add_page(batch, page)
        counts = WriteCounts(pages=len(pages))
        _prune_stubs(batch)
        with self._tx():
            cur = self.conn.cursor()
            zones_before = _track_zones(cur, batch.dashboard_slugs) if batch.dashboard_slugs else {}
            for spec in ORDER:
                if spec is RACES_FROM_EVENT and batch.pending_race_times:
                    _resolve_race_times(cur, batch)
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
        return counts


def _prune_stubs(batch: _Batch) -> None:
    """Drop stub rows whose full row is in the same batch (so a new row counts once, as inserted)."""
    for stub, fulls in ((TRACK_STUB, (TRACKS_FROM_LISTING, TRACKS_FROM_DASHBOARD)),
                        (EVENT_STUB, (EVENTS_FROM_LIST, EVENTS_FROM_PAGE))):
        stubs = batch.rows.get(stub.name)
        if stubs:
            for full in fulls:
                for k in batch.rows.get(full.name, {}):
                    stubs.pop(k, None)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


_SUPPORTED = (it.TrackListing, it.Track, it.EventSummary, it.Event, it.Race, it.EntryList, it.PointsTable)


def supports(item: Any) -> bool:
    """True when the store has tables for this page-level item (or list of items)."""
    if isinstance(item, list):
        return all(isinstance(x, _SUPPORTED) for x in item)
    return isinstance(item, _SUPPORTED)


def _check_supported(item: Any) -> None:
    kinds = (it.TrackListing, it.Track, it.EventSummary, it.Event, it.Race, it.EntryList, it.PointsTable)
    if isinstance(item, list):
        bad = [type(x).__name__ for x in item if not isinstance(x, kinds)]
    else:
        bad = [] if isinstance(item, kinds) else [type(item).__name__]
    if bad:
        raise UnsupportedItem(f"the store cannot write {', '.join(sorted(set(bad)))} items")


# ---------------------------------------------------------------------------------------------
# Items -> rows
# ---------------------------------------------------------------------------------------------
def _add_page(batch: _Batch, page: _Page) -> None:
    item = page.item
    for r in page.rejected:
        batch.quarantine.append(_quarantine_row(page.url, page.page_type, page.body, page.body_sha256,
                                                r.reason, r.raw, r.item_key))
    items = item if isinstance(item, list) else [item]
    for x in items:
        if isinstance(x, it.TrackListing):
            _add_listing(batch, x)
        elif isinstance(x, it.Track):
            _add_track(batch, x)
        elif isinstance(x, it.EventSummary):
            _add_event_summary(batch, x)
        elif isinstance(x, it.Event):
            _add_event(batch, x)
        elif isinstance(x, it.Race):
            _add_race(batch, x, page)
        elif isinstance(x, it.EntryList):
            _add_entry_list(batch, x, page)
        elif isinstance(x, it.PointsTable):
            _add_points(batch, x, page)


def _slug(slug: str) -> str:
    return slug.strip().lower()


def _track_stub(batch: _Batch, slug: str) -> str:
    slug = _slug(slug)
    batch.put(TRACK_STUB, (slug,))
    return slug


def _event_stub(batch: _Batch, slug: str, event_id: int | None) -> None:
    if event_id is not None:
        batch.put(EVENT_STUB, (str(event_id), "liverc", event_id, slug))


def _add_listing(batch: _Batch, x: it.TrackListing) -> None:
    slug = _track_stub(batch, x.slug)
    batch.put(TRACKS_FROM_LISTING, (slug, x.slug_raw, x.latest_event_name, x.last_activity, list(x.status) or None,
                                    x.row_url, x.name))


def _add_track(batch: _Batch, x: it.Track) -> None:
    slug = _track_stub(batch, x.slug)
    guess = zone_from_address(x.country_code, x.country, x.region, x.postcode)
    batch.put(TRACKS_FROM_DASHBOARD, (
        slug, x.name, x.address_name, list(x.address_lines) or None, x.city, x.region, x.postcode, x.country,
        x.country_code, x.phone, x.website, x.email, x.facebook, x.live_status, x.results_this_month,
        x.sessions_this_month, x.lifetime_laps, x.lifetime_practice_sessions, x.lifetime_races,
        x.lifetime_entries, x.lifetime_events, guess.zone, guess.source, guess.reason,
    ))
    batch.dashboard_slugs.add(slug)


def _add_event_summary(batch: _Batch, x: it.EventSummary) -> None:
    slug = _track_stub(batch, x.track_slug)
    batch.put(EVENTS_FROM_LIST, (str(x.event_id), "liverc", x.event_id, slug, x.start_local, x.start_has_time,
                                 x.event_date, x.entries, x.drivers, x.name))


def _add_event(batch: _Batch, x: it.Event) -> None:
    slug = _track_stub(batch, x.track_slug)
    batch.put(EVENTS_FROM_PAGE, (str(x.event_id), "liverc", x.event_id, slug, x.name, x.track_name, x.date_start,
                                 x.date_end, x.race_track, x.entries, x.drivers, x.total_race_laps))
    batch.event_scope.add(x.event_id)
    for r in x.races:
        # time_zone / completed_utc / time_flag are filled at flush time, once the track's zone
        # is known (it may be written in the same batch).
        row = {
            "race_id": r.race_id, "event_id": x.event_id, "track_slug": slug, "round_name": clean_text(r.round_name),
            "race_number": r.race_number, "class_name": r.class_name, "class_key": class_key(r.class_name),
            "race_name": clean_text(r.race_name), "race_label_raw": r.race_label_raw, "heat_number": r.heat_number,
            "heat_count": r.heat_count, "completed_local": r.completed_local, "time_zone": None,
            "completed_utc": None, "time_flag": None, "schedule_index": r.schedule_index,
        }
        batch.pending_race_times.append(((r.race_id,), row))
        batch.put(RACES_FROM_EVENT, tuple(row[c] for c in RACES_FROM_EVENT.columns))


def _add_race(batch: _Batch, x: it.Race, page: _Page) -> None:
    rejected = page.rejected
    rejected_keys = {r.item_key for r in rejected}
    slug = _track_stub(batch, x.track_slug)
    _event_stub(batch, slug, x.event_id)
    batch.put(RACES_FROM_PAGE, (x.race_id, slug, x.length_seconds, x.length_kind, x.caption_tag, x.event_id,
                                x.race_number, clean_text(x.race_name), clean_text(x.round_name)))
    batch.race_scope.add(x.race_id)
    for r in rejected:
        if r.item_key.startswith("driver:"):
            try:
                batch.held_results.add((x.race_id, int(r.item_key.split(":", 1)[1])))
            except ValueError:
                pass
    for res in x.results:
        if res.driver_id is None:
            # The natural key needs LiveRC's driver id (the parser recovers DNS ids from racerLaps);
            # without one the row is kept in quarantine, not guessed.
            key = f"position:{res.position}"
            if key not in rejected_keys:
                batch.quarantine.append(_quarantine_row(
                    page.url, page.page_type, page.body, page.body_sha256, "result row without a LiveRC driver id",
                    _item_raw(res), key))
            continue
        batch.put(DRIVERS, (res.driver_id, driver_display_name(res.driver_name), driver_name_key(res.driver_name),
                            res.driver_name))
        batch.put(RESULTS, (
            x.race_id, res.driver_id, res.position, res.car_number, res.driver_name, res.qual_position,
            res.grid_position, res.laps, res.total_time, res.behind_seconds, res.behind_laps, res.fastest_lap,
            res.fastest_lap_number, res.avg_lap, res.avg_top5, res.avg_top10, res.avg_top15, res.top2_consecutive,
            res.top3_consecutive, res.std_deviation, res.consistency, res.std_deviation_precise,
            res.consistency_precise, res.status, res.driver_id_source,
        ))
        laps = batch.rows.setdefault(LAPS.name, {})
        for lap in res.lap_list:
            laps[(x.race_id, res.driver_id, lap.lap_number)] = (
                x.race_id, res.driver_id, lap.lap_number, lap.lap_time, lap.position, lap.pace_raw or None)


def _add_entry_list(batch: _Batch, x: it.EntryList, page: _Page) -> None:
    if x.event_id is None:
        batch.quarantine.append(_quarantine_row(page.url, page.page_type, page.body, page.body_sha256,
                                                "entry list without an event id (the page does not show it)",
                                                _item_raw(x), ""))
        return
    slug = _track_stub(batch, x.track_slug)
    _event_stub(batch, slug, x.event_id)
    batch.put(ENTRY_LISTS, (x.event_id, x.total_entries, x.total_drivers))
    batch.entry_scope.add(x.event_id)
    for name, count in x.classes.items():
        batch.put(ENTRY_CLASSES, (x.event_id, name, class_key(name), count))
    for e in x.entries:
        key = driver_name_key(e.display_name) or driver_name_key(e.sort_name)
        if key is None:
            continue
        if (x.event_id, e.class_name) not in batch.rows.get(ENTRY_CLASSES.name, {}):
            batch.put(ENTRY_CLASSES, (x.event_id, e.class_name, class_key(e.class_name), None))
        batch.put(ENTRIES, (x.event_id, e.class_name, key, class_key(e.class_name), e.row_number, e.display_name,
                            e.sort_name, e.transponder))


def _add_points(batch: _Batch, x: it.PointsTable, page: _Page) -> None:
    if x.points_id is None:
        batch.quarantine.append(_quarantine_row(page.url, page.page_type, page.body, page.body_sha256,
                                                "points table without a points id", _item_raw(x), ""))
        return
    slug = _track_stub(batch, x.track_slug)
    _event_stub(batch, slug, x.event_id)
    batch.put(POINTS_TABLES, (x.points_id, slug, x.caption, x.tie_breaker_rule, x.event_id))
    batch.points_scope.add(x.points_id)
    for row in x.rows:
        key = driver_name_key(row.driver_name)
        if key is None:
            continue
        batch.put(POINTS_ROWS, (x.points_id, row.class_name, key, class_key(row.class_name), row.position,
                                row.driver_name, row.result_points, row.tie_breaker_raw))
        for rnd in row.rounds:
            batch.put(POINTS_ROUNDS, (x.points_id, row.class_name, key, rnd.round_number, rnd.points, rnd.laps,
                                      rnd.total_time, rnd.flag, rnd.counted))


# ---------------------------------------------------------------------------------------------
# SQL
# ---------------------------------------------------------------------------------------------
def _t(table: str) -> sql.Composed:
    return sql.Identifier(SCHEMA, table)


def upsert_rows(cur: psycopg.Cursor, spec: Upsert, rows: list[tuple]) -> tuple[int, int]:
    """COPY rows into a stage, then INSERT … ON CONFLICT … WHERE differs. Returns (inserted, updated)."""
    stage = sql.Identifier(f"stage_{spec.name.replace('<-', '_from_')}")
    cols = sql.SQL(", ").join(map(sql.Identifier, spec.columns))
    cur.execute(
        sql.SQL("CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA").format(
            stage=stage, cols=cols, table=_t(spec.table))
    )
    with cur.copy(sql.SQL("COPY {stage} ({cols}) FROM STDIN").format(stage=stage, cols=cols)) as copy:
        for row in rows:
            copy.write_row(row)
    key = sql.SQL(", ").join(map(sql.Identifier, spec.key))
    new_values: list[tuple[str, sql.Composable]] = []
    for c in spec.cols:
        new_values.append((c, sql.SQL("COALESCE(EXCLUDED.{c}, t.{c})").format(c=sql.Identifier(c))))
    for c in spec.fill:
        new_values.append((c, sql.SQL("COALESCE(t.{c}, EXCLUDED.{c})").format(c=sql.Identifier(c))))
    for c, expr in spec.guarded:
        new_values.append((c, sql.SQL(expr)))  # static text from the spec table above
    if not new_values:
        action = sql.SQL("DO NOTHING")
    else:
        sets = [sql.SQL("{c} = {v}").format(c=sql.Identifier(c), v=v) for c, v in new_values]
        sets.append(sql.SQL("updated_at = now()"))
        stored = sql.SQL(", ").join(sql.SQL("t.{c}").format(c=sql.Identifier(c)) for c, _ in new_values)
        wanted = sql.SQL(", ").join(v for _, v in new_values)
        differs = sql.SQL("ROW({stored}) IS DISTINCT FROM ROW({wanted})").format(stored=stored, wanted=wanted)
        if spec.restores:
            sets.append(sql.SQL("removed_at = NULL"))
            differs = sql.SQL("({d} OR t.removed_at IS NOT NULL)").format(d=differs)
        action = sql.SQL("DO UPDATE SET {sets} WHERE {differs}").format(sets=sql.SQL(", ").join(sets), differs=differs)
    query = sql.SQL(
        # ORDER BY the key: two processes upserting overlapping rows lock them in the same order,
        # so they queue behind each other instead of deadlocking (sorted by PostgreSQL, off the
        # crawler's GIL).
        "WITH up AS (INSERT INTO {table} AS t ({cols}) SELECT {cols} FROM {stage} ORDER BY {key} "
        "ON CONFLICT ({key}) {action} RETURNING (xmax = 0) AS inserted) "
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"
    ).format(table=_t(spec.table), cols=cols, stage=stage, key=key, action=action)
    ins, upd = cur.execute(query).fetchone()
    return int(ins), int(upd)


def _track_zones(cur: psycopg.Cursor, slugs: Iterable[str]) -> dict[str, str | None]:
    rows = cur.execute("SELECT slug, time_zone FROM mre.tracks WHERE slug = ANY(%s)", (list(slugs),)).fetchall()
    return dict(rows)


def _resolve_race_times(cur: psycopg.Cursor, batch: _Batch) -> None:
    zones = _track_zones(cur, {row["track_slug"] for _, row in batch.pending_race_times})
    for _, row in batch.pending_race_times:
        zone = zones.get(row["track_slug"])
        utc, flag = local_to_utc(row["completed_local"], zone)
        row.update(time_zone=zone, completed_utc=utc, time_flag=flag)
        batch.put(RACES_FROM_EVENT, tuple(row[c] for c in RACES_FROM_EVENT.columns))
    batch.pending_race_times.clear()


def _present_keys(batch: _Batch, spec: Upsert, scope_col_index: int, scope: set[int]) -> list[tuple]:
    return [k for k in batch.rows.get(spec.name, {}) if k[scope_col_index] in scope]


def _mark_removed_races(cur: psycopg.Cursor, batch: _Batch) -> int:
    present = [k[0] for k, row in batch.rows.get(RACES_FROM_EVENT.name, {}).items()]
    cur.execute(
        """UPDATE mre.races t SET removed_at = now(), updated_at = now()
           WHERE t.event_id = ANY(%s) AND t.removed_at IS NULL AND NOT (t.race_id = ANY(%s))""",
        (list(batch.event_scope), present),
    )
    return cur.rowcount


def _mark_removed_results(cur: psycopg.Cursor, batch: _Batch) -> int:
    present = [k for k in batch.rows.get(RESULTS.name, {}) if k[0] in batch.race_scope]
    present += list(batch.held_results)
    cur.execute(
        """UPDATE mre.race_results t SET removed_at = now(), updated_at = now()
           WHERE t.race_id = ANY(%s) AND t.removed_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM unnest(%s::bigint[], %s::bigint[]) AS p(race_id, driver_id)
                             WHERE p.race_id = t.race_id AND p.driver_id = t.driver_id)""",
        (list(batch.race_scope), [k[0] for k in present], [k[1] for k in present]),
    )
    return cur.rowcount


def _mark_removed_laps(cur: psycopg.Cursor, batch: _Batch) -> int:
    # The laps stage of this flush holds every present lap; rejected drivers' laps are kept as is.
    held = list(batch.held_results)
    has_stage = LAPS.name in batch.rows and batch.rows[LAPS.name]
    exists_stage = (
        "AND NOT EXISTS (SELECT 1 FROM stage_laps s WHERE s.race_id = t.race_id AND s.driver_id = t.driver_id "
        "AND s.lap_number = t.lap_number)"
        if has_stage else ""
    )
    cur.execute(
        f"""UPDATE mre.laps t SET removed_at = now(), updated_at = now()
            WHERE t.race_id = ANY(%s) AND t.removed_at IS NULL {exists_stage}
              AND NOT EXISTS (SELECT 1 FROM unnest(%s::bigint[], %s::bigint[]) AS h(race_id, driver_id)
                              WHERE h.race_id = t.race_id AND h.driver_id = t.driver_id)""",  # noqa: S608 - static text
        (list(batch.race_scope), [h[0] for h in held], [h[1] for h in held]),
    )
    return cur.rowcount


def _mark_removed_scoped(
    cur: psycopg.Cursor, table: str, scope_col: str, rest: tuple[str, ...], batch: _Batch, spec: Upsert,
    scope: set[int],
) -> int:
    present = _present_keys(batch, spec, 0, scope)
    key_cols = (scope_col, *rest)
    types = {"event_id": "bigint", "points_id": "bigint", "round_number": "integer"}
    arrays = sql.SQL(", ").join(
        sql.SQL("%s::{}[]").format(sql.SQL(types.get(c, "text"))) for c in key_cols
    )
    match = sql.SQL(" AND ").join(sql.SQL("p.{c} = t.{c}").format(c=sql.Identifier(c)) for c in key_cols)
    query = sql.SQL(
        "UPDATE {table} t SET removed_at = now(), updated_at = now() "
        "WHERE t.{scope_col} = ANY(%s) AND t.removed_at IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM unnest({arrays}) AS p({names}) WHERE {match})"
    ).format(
        table=_t(table), scope_col=sql.Identifier(scope_col), arrays=arrays,
        names=sql.SQL(", ").join(map(sql.Identifier, key_cols)), match=match,
    )
    params = [list(scope)] + [[k[i] for k in present] for i in range(len(key_cols))]
    cur.execute(query, params)
    return cur.rowcount


def _quarantine_row(url, page_type, body, body_sha256, reason, raw, item_key) -> tuple:
    if body is not None and body_sha256 is None:
        body_sha256 = hashlib.sha256(body).hexdigest()
    return (url, page_type, item_key or "", reason, body, body_sha256,
            Jsonb(_jsonable(raw)) if raw is not None else None)


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


def _resolve_quarantine(cur: psycopg.Cursor, urls: list[str], quarantine: list[tuple]) -> None:
    """A page stored now resolves its open quarantine entries, except the parts rejected again."""
    still_bad = [[q[0], q[2]] for q in quarantine]
    cur.execute(
        """UPDATE mre.quarantine q SET resolved_at = now()
           WHERE q.url = ANY(%s) AND q.resolved_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM unnest(%s::text[], %s::text[]) AS b(url, item_key)
                             WHERE b.url = q.url AND b.item_key = q.item_key)""",
        (urls, [b[0] for b in still_bad], [b[1] for b in still_bad]),
    )


def _write_quarantine(cur: psycopg.Cursor, rows: list[tuple], run_id: int | None) -> int:
    cur.executemany(
        """INSERT INTO mre.quarantine AS q (url, page_type, item_key, reason, body, body_sha256, raw, run_id)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (url, item_key) WHERE resolved_at IS NULL DO UPDATE SET
               reason = EXCLUDED.reason, page_type = COALESCE(EXCLUDED.page_type, q.page_type),
               body = COALESCE(EXCLUDED.body, q.body), body_sha256 = COALESCE(EXCLUDED.body_sha256, q.body_sha256),
               raw = COALESCE(EXCLUDED.raw, q.raw), last_seen = now(), attempts = q.attempts + 1,
               run_id = EXCLUDED.run_id""",
        [(*r, run_id) for r in rows],
    )
    return len(rows)


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


# ---------------------------------------------------------------------------------------------
# Time zones
# ---------------------------------------------------------------------------------------------
def recompute_track_times(conn: psycopg.Connection, slug: str, *, _in_tx: bool = False) -> int:
    """Recompute every race's zone/UTC instant/flag for a track from its current zone.

    Returns the number of races whose stored values changed."""
    slug = _slug(slug)

    def run() -> int:
        cur = conn.cursor()
        row = cur.execute("SELECT time_zone FROM mre.tracks WHERE slug = %s", (slug,)).fetchone()
        zone = row[0] if row else None
        races = cur.execute(
            "SELECT race_id, completed_local FROM mre.races WHERE track_slug = %s AND completed_local IS NOT NULL",
            (slug,),
        ).fetchall()
        if not races:
            return 0
        cur.execute("CREATE TEMP TABLE stage_race_times (race_id bigint, time_zone text, completed_utc timestamptz, "
                    "time_flag text) ON COMMIT DROP")
        with cur.copy("COPY stage_race_times FROM STDIN") as copy:
            for race_id, local in races:
                utc, flag = local_to_utc(local, zone)
                copy.write_row((race_id, zone, utc, flag))
        # Here NULL is meant: an unknown zone clears the instant rather than keeping a stale one.
        cur.execute(
            """UPDATE mre.races t SET time_zone = s.time_zone, completed_utc = s.completed_utc,
                      time_flag = s.time_flag, updated_at = now()
               FROM stage_race_times s
               WHERE s.race_id = t.race_id
                 AND ROW(t.time_zone, t.completed_utc, t.time_flag) IS DISTINCT FROM ROW(s.time_zone, s.completed_utc, s.time_flag)"""
        )
        n = cur.rowcount
        cur.execute("DROP TABLE stage_race_times")
        return n

    if _in_tx:
        return run()
    if conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS:
        conn.commit()
    with conn.transaction():
        return run()


def set_track_zone(conn: psycopg.Connection, slug: str, zone: str, note: str | None = None) -> int:
    """A person's override: set the zone (never overwritten by a crawl), recompute the instants.

    Creates the track row when the track was never crawled. Returns races updated."""
    slug = _slug(slug)
    if conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS:
        conn.commit()
    with conn.transaction():
        conn.execute(
            """INSERT INTO mre.tracks (slug, time_zone, time_zone_source, time_zone_note)
               VALUES (%s, %s, %s, %s)
               ON CONFLICT (slug) DO UPDATE SET time_zone = EXCLUDED.time_zone,
                   time_zone_source = EXCLUDED.time_zone_source, time_zone_note = EXCLUDED.time_zone_note,
                   updated_at = now()
               WHERE ROW(mre.tracks.time_zone, mre.tracks.time_zone_source)
                     IS DISTINCT FROM ROW(EXCLUDED.time_zone, EXCLUDED.time_zone_source)""",
            (slug, zone, SOURCE_OVERRIDE, note or "set by mre tracks set-timezone"),
        )
        return recompute_track_times(conn, slug, _in_tx=True)


# ---------------------------------------------------------------------------------------------
# JSON for raw fields
# ---------------------------------------------------------------------------------------------
def _item_raw(item: Any) -> Any:
    if isinstance(item, list):
        return [_item_raw(x) for x in item[:50]]
    if dataclasses.is_dataclass(item):
        data = dataclasses.asdict(item)
        # A race's laps are the bulk of the page; the body keeps them, the summary need not.
        for res in data.get("results", []) if isinstance(data.get("results"), list) else []:
            if isinstance(res, dict) and "lap_list" in res:
                res["lap_list"] = f"{len(res['lap_list'])} laps"
        return data
    return item


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(v: Any) -> Any:
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if dataclasses.is_dataclass(v):
        return dataclasses.asdict(v)
    if isinstance(v, (set, frozenset)):
        return sorted(v)
    return str(v)
