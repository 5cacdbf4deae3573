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

A race page's race, results and laps rows of a race with no row of that table stored yet (a
first crawl) are COPYed straight into their tables instead (an insert of a new row writes what
the upsert would); should another writer have inserted some meanwhile, the COPY is rolled back to
a savepoint and those rows take the upsert.

If a batched flush fails, it is rolled back and its pages are retried one by one; a page that
still fails is quarantined with the database's reason, and the crawl goes on.

Times: a race's ``completed_local`` is stored with the track's zone and the UTC instant computed
with zoneinfo (:func:`mre_crawler.timezones.local_to_utc`); when a track's zone changes (first
dashboard crawl, or ``mre tracks set-timezone``) its races' instants are recomputed
(:func:`recompute_track_times`).

Layout (one concern per module): :mod:`.core` the Store (buffering, the flush transaction,
retries); :mod:`.specs` table specs; :mod:`.rows` items -> rows; :mod:`.upsert` batched upserts;
:mod:`.removal` removal marking; :mod:`.quarantine`; :mod:`.runs` run bookkeeping and stored
markers; :mod:`.zones` time zones; :mod:`.counts` WriteCounts.
"""

from __future__ import annotations

from mre_crawler.store.core import CONFLICT_RETRIES, Store
from mre_crawler.store.counts import WriteCounts
from mre_crawler.store.rows import UnsupportedItem, supports
from mre_crawler.store.runs import RUN_LOCK_CLASS, close_dead_runs
from mre_crawler.store.specs import (
    DRIVERS, ENTRIES, ENTRY_CLASSES, ENTRY_LISTS, EVENT_STUB, EVENTS_FROM_LIST, EVENTS_FROM_PAGE, LAPS, ORDER,
    POINTS_ROUNDS, POINTS_ROWS, POINTS_TABLES, RACES_FROM_EVENT, RACES_FROM_PAGE, RESULT_COLS, RESULTS, SCHEMA,
    TRACK_STUB, TRACKS_FROM_DASHBOARD, TRACKS_FROM_LISTING, Upsert,
)
from mre_crawler.store.upsert import upsert_rows
from mre_crawler.store.zones import re_resolve_track_zones, recompute_track_times, set_track_zone

__all__ = [
    "CONFLICT_RETRIES", "DRIVERS", "ENTRIES", "ENTRY_CLASSES", "ENTRY_LISTS", "EVENT_STUB", "EVENTS_FROM_LIST",
    "EVENTS_FROM_PAGE", "LAPS", "ORDER", "POINTS_ROUNDS", "POINTS_ROWS", "POINTS_TABLES", "RACES_FROM_EVENT",
    "RACES_FROM_PAGE", "RESULT_COLS", "RESULTS", "RUN_LOCK_CLASS", "SCHEMA", "Store", "TRACK_STUB",
    "TRACKS_FROM_DASHBOARD", "TRACKS_FROM_LISTING", "UnsupportedItem", "Upsert", "WriteCounts", "close_dead_runs",
    "re_resolve_track_zones", "recompute_track_times", "set_track_zone", "supports", "upsert_rows",
]
