"""Items -> rows: one batch holds rows per spec (deduplicated on the key) and the scopes for removal marking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from mre_crawler import items as it
from mre_crawler.normalize import class_key, clean_text, driver_display_name, driver_name_key
from mre_crawler.store import lineups
from mre_crawler.store.quarantine import _item_raw, _quarantine_row
from mre_crawler.store.specs import (
    DRIVERS, ENTRIES, ENTRY_CLASSES, ENTRY_LISTS, EVENT_STUB, EVENTS_FROM_LIST, EVENTS_FROM_PAGE, LAPS,
    MULTI_MAIN_LEGS, MULTI_MAIN_RESULTS, MULTI_MAIN_ROWS,
    POINTS_ROUNDS, POINTS_ROWS, POINTS_TABLES, RACES_FROM_EVENT, RACES_FROM_PAGE, RESULTS, TRACK_STUB,
    TRACKS_FROM_DASHBOARD, TRACKS_FROM_LISTING, Upsert,
)
from mre_crawler.timezones import zone_from_address


class UnsupportedItem(TypeError):
    """The store has no table for this item type (yet): practice items come with a later issue."""


@dataclass
class _Batch:
    rows: dict[str, dict[tuple, tuple]] = field(default_factory=dict)  # spec.name -> key -> row
    event_scope: set[int] = field(default_factory=set)  # event pages written: their races
    race_scope: set[int] = field(default_factory=set)  # race pages written: their results and laps
    laps_kept: set[int] = field(default_factory=set)  # race pages whose laps are known unchanged: not staged
    # spec name -> races with no row of that table stored yet: their rows are COPYed straight in
    # (store.upsert.copy_first_rows) and nothing of theirs is marked removed.
    first_writes: dict[str, set[int]] = field(
        default_factory=lambda: {RACES_FROM_PAGE.name: set(), RESULTS.name: set(), LAPS.name: set()})
    # Lap rows by (race id, driver id), then lap number (fewer tuples to build than one key per
    # lap); at flush time the laps of races that have some stored go to rows[LAPS.name].
    laps: dict[tuple[int, int], dict[int, tuple]] = field(default_factory=dict)
    held_results: set[tuple[int, int]] = field(default_factory=set)  # rejected rows: not "removed"
    entry_scope: set[int] = field(default_factory=set)
    points_scope: set[int] = field(default_factory=set)
    lineup_scopes: dict[str, set[int]] = field(default_factory=dict)  # heat sheets and rankings (store.lineups)
    multi_main_scope: set[int] = field(default_factory=set)
    pending_race_times: list[tuple[tuple, dict]] = field(default_factory=list)
    dashboard_slugs: set[str] = field(default_factory=set)
    quarantine: list[tuple] = field(default_factory=list)
    fetches: list[tuple] = field(default_factory=list)
    archive: list[tuple] = field(default_factory=list)  # (index row, body): the raw page archive

    def put(self, spec: Upsert, row: Sequence[Any]) -> None:
        row = tuple([v if type(v) in _NEVER_BLANK else _blank_to_none(v) for v in row])
        self.rows.setdefault(spec.name, {})[row[: len(spec.key)]] = row


# Value types _blank_to_none returns as they are (tested by type, not isinstance: a str subclass
# still goes through it): most of a row's values, skipped without a call.
_NEVER_BLANK = frozenset({int, float, bool, type(None), Decimal, dt.date, dt.datetime, dt.time})


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
    parser_version: int | None = None
    items_digest: str | None = None
    part_digests: dict[str, str] | None = None  # {"laps": ...}: stored with the page (mre reprocess)
    unchanged_parts: frozenset[str] = frozenset()  # parts whose stored rows this parse would write as they are


def _prune_stubs(batch: _Batch) -> None:
    """Drop stub rows whose full row is in the same batch (so a new row counts once, as inserted)."""
    for stub, fulls in ((TRACK_STUB, (TRACKS_FROM_LISTING, TRACKS_FROM_DASHBOARD)),
                        (EVENT_STUB, (EVENTS_FROM_LIST, EVENTS_FROM_PAGE))):
        stubs = batch.rows.get(stub.name)
        if stubs:
            for full in fulls:
                for k in batch.rows.get(full.name, {}):
                    stubs.pop(k, None)


_SUPPORTED = (it.TrackListing, it.Track, it.EventSummary, it.Event, it.Race, it.EntryList, it.PointsTable,
              it.MultiMainResult, *lineups.KINDS)


def supports(item: Any) -> bool:
    """True when the store has tables for this page-level item (or list of items)."""
    if isinstance(item, list):
        return all(isinstance(x, _SUPPORTED) for x in item)
    return isinstance(item, _SUPPORTED)


def _check_supported(item: Any) -> None:
    kinds = _SUPPORTED
    if isinstance(item, list):
        bad = [type(x).__name__ for x in item if not isinstance(x, kinds)]
    else:
        bad = [] if isinstance(item, kinds) else [type(item).__name__]
    if bad:
        raise UnsupportedItem(f"the store cannot write {', '.join(sorted(set(bad)))} items")


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
        elif isinstance(x, lineups.KINDS):
            lineups.add_item(batch, x, page, _track_stub, _event_stub)
        elif isinstance(x, it.MultiMainResult):
            _add_multi_main(batch, x, page)


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
    guess = zone_from_address(x.country_code, x.country, x.region, x.postcode, x.city)
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
    # The same body parsed to the same laps as the stored rows were built from (mre reprocess):
    # they are in the database as this write would leave them; not staged, not marked removed.
    laps_kept = "laps" in page.unchanged_parts
    if laps_kept:
        batch.laps_kept.add(x.race_id)
    for r in rejected:
        if r.item_key.startswith("driver:"):
            try:
                batch.held_results.add((x.race_id, int(r.item_key.split(":", 1)[1])))
            except ValueError:
                pass
    laps = batch.laps
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
        if laps_kept:
            continue
        race_id, driver_id = x.race_id, res.driver_id
        driver_laps = {lap.lap_number: (race_id, driver_id, lap.lap_number, lap.lap_time, lap.position,
                                        lap.pace_raw or None)
                       for lap in res.lap_list}
        stored = laps.get((race_id, driver_id))
        if stored is None:
            laps[(race_id, driver_id)] = driver_laps
        else:  # the same race twice in one batch: a lap of the later page wins
            stored.update(driver_laps)


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


def _add_multi_main(batch: _Batch, x: it.MultiMainResult, page: _Page) -> None:
    if x.multi_main_id is None:
        batch.quarantine.append(_quarantine_row(page.url, page.page_type, page.body, page.body_sha256,
                                                "multi-main result without its id", _item_raw(x), ""))
        return
    slug = _track_stub(batch, x.track_slug)
    _event_stub(batch, slug, x.event_id)
    batch.put(MULTI_MAIN_RESULTS, (x.multi_main_id, slug, x.class_name, class_key(x.class_name), x.main_letter,
                                   x.main_format, list(x.leg_labels), x.tie_breaker_rule, x.completed_legs,
                                   x.scheduled_legs, x.event_id))
    batch.multi_main_scope.add(x.multi_main_id)
    for row in x.rows:
        key = driver_name_key(row.driver_name)
        if key is None:
            continue
        batch.put(MULTI_MAIN_ROWS, (x.multi_main_id, key, row.position, row.seeded_position, row.driver_name,
                                    row.points))
        for g in row.legs:
            batch.put(MULTI_MAIN_LEGS, (x.multi_main_id, key, g.leg_number, g.leg_label, g.place, g.leg_points,
                                        g.laps, g.total_time, g.flag, g.sat_out))
