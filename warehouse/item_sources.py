"""Warehouse sources straight from typed items (no crawl, no PostgreSQL): for tests and demos.

``item_sources(pages)`` turns ``(url, page_type, meta, items)`` tuples, e.g. from
:func:`mre_crawler.samplesite.site_items`, into Arrow tables shaped like the PostgreSQL tables of
``sql/postgres/0001_core.sql`` (the columns the staging models read), so the real models run over
generated sites of hundreds of events in seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from mre_crawler import items as it

# Column -> Arrow type, per source table, in PostgreSQL's column names.
SCHEMAS: dict[str, dict[str, pa.DataType]] = {
    "tracks": {
        "slug": pa.string(), "slug_raw": pa.string(), "name": pa.string(), "city": pa.string(),
        "region": pa.string(), "postcode": pa.string(), "country": pa.string(), "country_code": pa.string(),
        "time_zone": pa.string(), "time_zone_source": pa.string(), "lifetime_laps": pa.int64(),
        "lifetime_practice_sessions": pa.int64(), "lifetime_races": pa.int64(), "lifetime_entries": pa.int64(),
        "lifetime_events": pa.int64(),
    },
    "events": {
        "source_event_id": pa.string(), "source": pa.string(), "event_id": pa.int64(), "track_slug": pa.string(),
        "name": pa.string(), "track_name": pa.string(), "date_start": pa.date32(), "date_end": pa.date32(),
        "race_track": pa.string(), "entries": pa.int32(), "drivers": pa.int32(), "total_race_laps": pa.int32(),
        "listed_start_local": pa.timestamp("us"), "listed_start_has_time": pa.bool_(),
        "removed_at": pa.timestamp("us", tz="UTC"),
    },
    "drivers": {"driver_id": pa.int64(), "display_name": pa.string(), "normalized_name": pa.string(),
                "printed_name": pa.string()},
    "races": {
        "race_id": pa.int64(), "event_id": pa.int64(), "track_slug": pa.string(), "round_name": pa.string(),
        "race_number": pa.int32(), "class_name": pa.string(), "class_key": pa.string(), "race_name": pa.string(),
        "race_label_raw": pa.string(), "heat_number": pa.int32(), "heat_count": pa.int32(),
        "completed_local": pa.timestamp("us"), "completed_utc": pa.timestamp("us", tz="UTC"),
        "time_zone": pa.string(), "time_flag": pa.string(), "length_seconds": pa.int32(),
        "length_kind": pa.string(), "caption_tag": pa.string(), "schedule_index": pa.int32(),
        "session_type": pa.string(), "removed_at": pa.timestamp("us", tz="UTC"),
    },
    "race_results": {
        "race_id": pa.int64(), "driver_id": pa.int64(), "position": pa.int32(), "car_number": pa.string(),
        "driver_name": pa.string(), "qual_position": pa.int32(), "grid_position": pa.int32(), "laps": pa.int32(),
        "total_time": pa.float64(), "behind_seconds": pa.float64(), "behind_laps": pa.int32(),
        "fastest_lap": pa.float64(), "fastest_lap_number": pa.int32(), "avg_lap": pa.float64(),
        "avg_top5": pa.float64(), "avg_top10": pa.float64(), "avg_top15": pa.float64(),
        "top2_consecutive": pa.float64(), "top3_consecutive": pa.float64(), "std_deviation": pa.float64(),
        "consistency": pa.float64(), "status": pa.string(), "driver_id_source": pa.string(),
        "removed_at": pa.timestamp("us", tz="UTC"),
    },
    "laps": {"race_id": pa.int64(), "driver_id": pa.int64(), "lap_number": pa.int16(), "lap_time": pa.float64(),
             "position": pa.int16(), "removed_at": pa.timestamp("us", tz="UTC")},
    "fetched_pages": {"url": pa.string(), "page_type": pa.string(), "status": pa.int32(),
                      "fetched_at": pa.timestamp("us", tz="UTC")},
    "practice_days": {
        "source_event_id": pa.string(), "track_slug": pa.string(), "practice_date": pa.date32(),
        "time_zone": pa.string(), "panel_total_laps": pa.int32(), "panel_total_track_time_seconds": pa.int32(),
        "panel_unique_drivers": pa.int32(), "panel_unique_classes": pa.int32(),
        "removed_at": pa.timestamp("us", tz="UTC"),
    },
    "practice_sessions": {
        "session_id": pa.int64(), "source_event_id": pa.string(), "track_slug": pa.string(),
        "practice_date": pa.date32(), "driver_name": pa.string(), "driver_key": pa.string(),
        "class_name": pa.string(), "class_key": pa.string(), "transponder": pa.string(),
        "start_local": pa.timestamp("us"), "end_local": pa.timestamp("us"), "laps": pa.int32(),
        "lap_count": pa.int32(), "length_seconds": pa.int32(), "detail_length_seconds": pa.float64(),
        "fastest_lap": pa.float64(), "avg_lap": pa.float64(), "top3_consecutive": pa.float64(),
        "std_deviation": pa.float64(), "consistency": pa.float64(), "removed_at": pa.timestamp("us", tz="UTC"),
    },
    "practice_laps": {
        "session_id": pa.int64(), "lap_number": pa.int16(), "lap_time": pa.float64(), "end_local": pa.timestamp("us"),
        "is_valid": pa.bool_(), "removed_at": pa.timestamp("us", tz="UTC"),
    },
    "session_type_overrides": {
        "override_id": pa.int64(), "race_id": pa.int64(), "session_type": pa.string(), "session_kind": pa.string(),
        "cleared": pa.bool_(), "reason": pa.string(), "set_by": pa.string(), "set_at": pa.timestamp("us", tz="UTC"),
    },
    # sql/postgres/0021_session_type_backfill.sql (what `mre session-type backfill` wrote; never from items)
    "session_type_audit": {
        "audit_id": pa.int64(), "run_id": pa.int64(), "race_id": pa.int64(), "old_session_type": pa.string(),
        "new_session_type": pa.string(),
    },
    "session_type_backfill_runs": {"run_id": pa.int64(), "kind": pa.string()},
    "session_type_backfill_plan": {
        "run_id": pa.int64(), "ordinal": pa.int32(), "race_id": pa.int64(), "confidence": pa.string(),
    },
    # sql/postgres/0040_bumpup_corrections.sql (people's bump-up corrections; never from items)
    "bumpup_corrections": {
        "correction_id": pa.int64(), "event_id": pa.int64(), "action": pa.string(), "driver_id": pa.int64(),
        "source_race_id": pa.int64(), "target_race_id": pa.int64(), "reason": pa.string(), "set_by": pa.string(),
        "set_at": pa.timestamp("us", tz="UTC"),
    },
}


def _class_key(name: str | None) -> str | None:
    return " ".join(name.replace("1-", "1/").lower().split()) if name else None


class _Rows:
    def __init__(self) -> None:
        self.rows: dict[str, dict[Any, dict[str, Any]]] = {t: {} for t in SCHEMAS}

    def put(self, table: str, key: Any, **values: Any) -> None:
        self.rows[table].setdefault(key, {}).update({k: v for k, v in values.items() if v is not None})

    def table(self, name: str) -> pa.Table:
        schema = SCHEMAS[name]
        rows = list(self.rows[name].values())
        return pa.table({c: pa.array([r.get(c) for r in rows], t) for c, t in schema.items()})


def item_sources(pages: Iterable[tuple[str, str, dict, list]]) -> dict[str, pa.Table]:
    """``{"races": arrow, "laps": arrow, ...}`` for :class:`warehouse.sources.ArrowSources`."""
    out = _Rows()
    laps: dict[str, list] = {c: [] for c in SCHEMAS["laps"]}
    for url, page_type, meta, page_items in pages:
        out.put("fetched_pages", url, url=url, page_type=page_type, status=200)
        for item in page_items:
            if isinstance(item, it.Track):
                out.put("tracks", item.slug, slug=item.slug, name=item.name, city=item.city, region=item.region,
                        postcode=item.postcode, country=item.country, country_code=item.country_code,
                        lifetime_laps=item.lifetime_laps, lifetime_races=item.lifetime_races,
                        lifetime_practice_sessions=item.lifetime_practice_sessions,
                        lifetime_entries=item.lifetime_entries, lifetime_events=item.lifetime_events)
            elif isinstance(item, it.Event):
                _event(out, item)
            elif isinstance(item, it.Race):
                _race(out, laps, item)
            elif isinstance(item, it.PracticeDay):
                _practice_day(out, item)
            elif isinstance(item, it.PracticeSession):
                _practice_session(out, item, meta)
    out.rows["laps"] = {}
    _practice_sessions_from_days(out)
    tables = {name: out.table(name) for name in SCHEMAS if name != "laps"}
    tables["laps"] = pa.table({c: pa.array(v, SCHEMAS["laps"][c]) for c, v in laps.items()})
    return tables


def _event(out: _Rows, ev: it.Event) -> None:
    out.put("tracks", ev.track_slug, slug=ev.track_slug)
    out.put("events", str(ev.event_id), source_event_id=str(ev.event_id), source="liverc", event_id=ev.event_id,
            track_slug=ev.track_slug, name=ev.name, track_name=ev.track_name, date_start=ev.date_start,
            date_end=ev.date_end, race_track=ev.race_track, entries=ev.entries, drivers=ev.drivers,
            total_race_laps=ev.total_race_laps)
    for r in ev.races:
        out.put("races", r.race_id, race_id=r.race_id, event_id=ev.event_id, track_slug=ev.track_slug,
                round_name=r.round_name, race_number=r.race_number, class_name=r.class_name,
                class_key=_class_key(r.class_name), race_name=r.race_name, race_label_raw=r.race_label_raw,
                heat_number=r.heat_number, heat_count=r.heat_count, completed_local=r.completed_local,
                schedule_index=r.schedule_index)


def _race(out: _Rows, laps: dict[str, list], race: it.Race) -> None:
    out.put("races", race.race_id, race_id=race.race_id, event_id=race.event_id, track_slug=race.track_slug,
            race_number=race.race_number, race_name=race.race_name, round_name=race.round_name,
            length_seconds=race.length_seconds, length_kind=race.length_kind, caption_tag=race.caption_tag)
    for res in race.results:
        if res.driver_id is None:
            continue
        out.put("drivers", res.driver_id, driver_id=res.driver_id, display_name=res.driver_name.title(),
                normalized_name=" ".join(res.driver_name.lower().split()))
        out.put("race_results", (race.race_id, res.driver_id), race_id=race.race_id, driver_id=res.driver_id,
                position=res.position, car_number=res.car_number, driver_name=res.driver_name,
                qual_position=res.qual_position, grid_position=res.grid_position, laps=res.laps,
                total_time=res.total_time, behind_seconds=res.behind_seconds, behind_laps=res.behind_laps,
                fastest_lap=res.fastest_lap, fastest_lap_number=res.fastest_lap_number, avg_lap=res.avg_lap,
                avg_top5=res.avg_top5, avg_top10=res.avg_top10, avg_top15=res.avg_top15,
                top2_consecutive=res.top2_consecutive, top3_consecutive=res.top3_consecutive,
                std_deviation=res.std_deviation, consistency=res.consistency, status=res.status,
                driver_id_source=res.driver_id_source)
        for lap in res.lap_list:
            laps["race_id"].append(race.race_id)
            laps["driver_id"].append(res.driver_id)
            laps["lap_number"].append(lap.lap_number)
            laps["lap_time"].append(lap.lap_time)
            laps["position"].append(lap.position)
            laps["removed_at"].append(None)


def practice_event_id(slug: str, day: Any) -> str:
    return f"{slug}-practice-{day.isoformat()}"


def _driver_key(name: str | None) -> str | None:
    if not name or name.strip().lower() == "unknown driver":
        return None
    return " ".join(name.lower().split())


def _practice_day(out: _Rows, day: it.PracticeDay) -> None:
    sid = practice_event_id(day.track_slug, day.date)
    out.put("events", sid, source_event_id=sid, source="practice", track_slug=day.track_slug,
            name=f"Practice {day.date.isoformat()}", date_start=day.date, date_end=day.date)
    st = day.stats
    out.put("practice_days", sid, source_event_id=sid, track_slug=day.track_slug, practice_date=day.date,
            panel_total_laps=st.total_laps if st else None,
            panel_total_track_time_seconds=st.total_track_time_seconds if st else None,
            panel_unique_drivers=st.unique_drivers if st else None,
            panel_unique_classes=st.unique_classes if st else None)
    for s in day.sessions:
        out.put("practice_sessions", s.session_id, session_id=s.session_id, source_event_id=sid,
                track_slug=day.track_slug, practice_date=day.date, driver_name=s.driver_name,
                driver_key=_driver_key(s.driver_name), class_name=s.class_name, class_key=_class_key(s.class_name),
                transponder=s.transponder, start_local=s.start_local, laps=s.laps, length_seconds=s.length_seconds,
                fastest_lap=s.fastest_lap, avg_lap=s.avg_lap)


def _practice_session(out: _Rows, s: it.PracticeSession, meta: dict) -> None:
    sid = s.session_id if s.session_id is not None else meta.get("session_id")
    out.put("practice_sessions", sid, session_id=sid, end_local=s.end_local, lap_count=s.lap_count,
            detail_length_seconds=s.length_seconds, top3_consecutive=s.top3_consecutive,
            std_deviation=s.std_deviation, consistency=s.consistency)
    for lap in s.laps:
        out.put("practice_laps", (sid, lap.lap_number), session_id=sid, lap_number=lap.lap_number,
                lap_time=lap.lap_time, end_local=lap.end_local, is_valid=lap.is_valid)


def _practice_sessions_from_days(out: _Rows) -> None:
    """A session page read before (or without) its day overview has no day: leave it out, as the
    foreign key to the day's event would in PostgreSQL."""
    sessions = out.rows["practice_sessions"]
    for key in [k for k, v in sessions.items() if "source_event_id" not in v]:
        del sessions[key]
    kept = set(sessions)
    laps = out.rows["practice_laps"]
    for key in [k for k in laps if k[0] not in kept]:
        del laps[key]
