"""Warehouse sources straight from typed items (no crawl, no PostgreSQL): for tests and demos.

``item_sources(pages)`` turns ``(url, page_type, meta, items)`` tuples, e.g. from
:func:`mre_crawler.samplesite.site_items`, into Arrow tables with the columns and types of the
PostgreSQL tables (read from the migrations: :mod:`warehouse.ddl`), so the real models run over
generated sites of hundreds of events in seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from mre_crawler import items as it
from mre_crawler.heat_items import HeatSheet, OverallRanking, RoundRanking
from warehouse.ddl import arrow_schema

LINEUP_KINDS = (HeatSheet, RoundRanking, OverallRanking)

# The source tables items fill; their columns and types come from the PostgreSQL DDL
# (warehouse/ddl.py reads sql/postgres/*.sql), so these tables have exactly the shape the store's
# tables have (a column items do not fill is NULL, as in a database no page has filled it yet).
ITEM_TABLES = (
    "tracks", "events", "drivers", "races", "race_results", "laps", "fetched_pages",
    "practice_days", "practice_sessions", "practice_laps",
    # people's and tools' tables (never from items; empty unless a test fills them)
    "session_type_overrides", "session_type_audit", "session_type_backfill_runs", "session_type_backfill_plan",
    "bumpup_corrections",
    # heat sheets and rankings (FIELD-GUIDE §11.3-11.5; mre_crawler.store.lineups)
    "heat_sheets", "heat_sheet_races", "lineups", "round_rankings", "round_ranking_rows", "overall_rankings",
    "overall_ranking_rows",
    "multi_main_results", "multi_main_rows", "multi_main_legs", "multi_main_scoring_rules",
)
SCHEMAS: dict[str, dict[str, pa.DataType]] = {t: arrow_schema(t) for t in ITEM_TABLES}


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
    laps: dict[str, list] = {c: [] for c in ("race_id", "driver_id", "lap_number", "lap_time", "position", "removed_at")}
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
            elif isinstance(item, LINEUP_KINDS):
                _lineup_item(out, item)
            elif isinstance(item, it.MultiMainResult):
                _multi_main(out, item)
            elif isinstance(item, it.PracticeDay):
                _practice_day(out, item)
            elif isinstance(item, it.PracticeSession):
                _practice_session(out, item, meta)
    out.rows["laps"] = {}
    _practice_sessions_from_days(out)
    tables = {name: out.table(name) for name in SCHEMAS if name != "laps"}
    n = len(laps["race_id"])
    tables["laps"] = pa.table({c: pa.array(laps[c], t) if c in laps else pa.nulls(n, t)
                               for c, t in SCHEMAS["laps"].items()})
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


def _lineup_item(out: _Rows, x: Any) -> None:
    """Heat sheet, round ranking and overall ranking rows, as :mod:`mre_crawler.store.lineups` writes them."""
    from mre_crawler.store import lineups as sl

    class _Collect:
        quarantine: list = []
        lineup_scopes: dict = {}

        def put(self, spec, row):
            out.put(spec.table, tuple(row[: len(spec.key)]), **dict(zip(spec.columns, row)))

    sl.add_item(_Collect(), x, None, lambda _b, slug: slug.strip().lower(), lambda *_a: None)
def _multi_main(out: _Rows, x: it.MultiMainResult) -> None:
    from mre_crawler.normalize import driver_name_key

    out.put("multi_main_results", x.multi_main_id, multi_main_id=x.multi_main_id, event_id=x.event_id,
            track_slug=x.track_slug, class_name=x.class_name, class_key=_class_key(x.class_name),
            main_letter=x.main_letter, main_format=x.main_format, leg_labels=list(x.leg_labels),
            tie_breaker_rule=x.tie_breaker_rule, completed_legs=x.completed_legs, scheduled_legs=x.scheduled_legs)
    for row in x.rows:
        key = driver_name_key(row.driver_name)
        out.put("multi_main_rows", (x.multi_main_id, key), multi_main_id=x.multi_main_id, name_key=key,
                position=row.position, seeded_position=row.seeded_position, driver_name=row.driver_name,
                points=row.points)
        for g in row.legs:
            out.put("multi_main_legs", (x.multi_main_id, key, g.leg_number), multi_main_id=x.multi_main_id,
                    name_key=key, leg_number=g.leg_number, leg_label=g.leg_label, place=g.place,
                    leg_points=g.leg_points, laps=g.laps, total_time=g.total_time, flag=g.flag, sat_out=g.sat_out)


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
