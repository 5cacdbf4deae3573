"""Read what the report shows from the published warehouse (marts, and the staging tables the
marts are built on for the rows of a results table)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import duckdb

from mre_crawler.bumpups.report import EventReport, load_event_report, ordinal


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    rel = con.execute(sql, params or [])
    columns = [d[0] for d in rel.description]
    return [dict(zip(columns, row)) for row in rel.fetchall()]


def bumpup_text(b: dict[str, Any]) -> str:
    """"↑ from B-Main, 2nd": where a bumped driver came from."""
    return f"↑ from {b['source_tier_label'] or 'a lower main'}, {ordinal(b['source_finish_position'])}"


@dataclass
class Warehouse:
    """Everything the pages need, read once."""

    tracks: list[dict[str, Any]]
    events: list[dict[str, Any]]
    races: list[dict[str, Any]]
    results: dict[int, list[dict[str, Any]]]  # race id -> rows in finishing order
    bumpups: list[dict[str, Any]]
    event_reports: dict[int, EventReport]
    drivers: list[dict[str, Any]]
    driver_history: dict[int, list[dict[str, Any]]]
    practice_days: list[dict[str, Any]]
    practice_classes: dict[int, list[dict[str, Any]]]
    practice_sessions: dict[int, list[dict[str, Any]]]
    practice_laps: dict[int, list[dict[str, Any]]]  # practice day -> valid laps
    practice_trend: dict[str, list[dict[str, Any]]]  # practice driver key -> days
    # (event id, class key, main letter) -> LiveRC's multi-main standing, in its published order
    multi_main: dict[tuple[int, str, str], list[dict[str, Any]]] = field(default_factory=dict)
    bump_in: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)  # (target race, driver)
    bump_out: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)  # (source race, driver)


def load(con: duckdb.DuckDBPyConnection) -> Warehouse:
    tracks = rows(con, """
        select t.track_slug, coalesce(t.track_name, t.track_slug) as track_name, t.city, t.region, t.country,
               (select count(*) from stg_events e where e.track_slug = t.track_slug and not e.is_practice_day
                   and e.event_id is not null) as events,
               (select count(*) from mart_practice_days p where p.track_slug = t.track_slug) as practice_days
        from stg_tracks t order by track_name""")
    events = rows(con, """
        select e.event_id, e.track_slug, e.event_name, e.date_start, e.date_end, e.entries, e.drivers,
               (select count(*) from mart_races r where r.event_id = e.event_id) as races,
               (select count(*) from mart_bumpups b where b.event_id = e.event_id) as bumpups
        from stg_events e where e.event_id is not null and not coalesce(e.is_practice_day, false)
        order by e.date_start desc nulls last, e.event_id desc""")
    races = rows(con, """
        select r.race_id, r.event_id, r.track_slug, r.class_name, r.race_name, r.round_name, r.completed_local,
               r.length_seconds, r.drivers, r.session_kind, r.effective_session_type,
               t.ladder_class, t.tier_rank, t.tier_label, t.tier_letter, t.leg, t.run_order
        from mart_races r left join int_race_tiers t using (race_id)
        where r.race_source = 'race'  -- practice-day sessions have their own pages
        order by r.event_id, coalesce(t.ladder_class, r.class_name), t.tier_rank is null, t.tier_rank, t.leg,
                 t.run_order desc, r.race_id""")
    results: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows(con, """
        select r.race_id, r.driver_id, coalesce(r.printed_driver_name, d.driver_name) as driver_name,
               d.driver_name_key,
               r.finish_position, r.car_number, r.qual_position, r.grid_position, r.laps, r.total_time_seconds,
               r.fastest_lap, r.avg_lap, r.result_status
        from stg_race_results r left join stg_drivers d using (driver_id)
        order by r.race_id, r.finish_position nulls last"""):
        results[row["race_id"]].append(row)
    bumpups = rows(con, "select * from mart_bumpups order by event_id, class_name, target_tier_rank, driver_id")
    event_reports = {}
    for (event_id,) in con.execute("select distinct event_id from mart_bumpup_ladders").fetchall():
        event_reports[event_id] = load_event_report(con, event_id)
    drivers = rows(con, """
        with raced as (
            select r.driver_id, count(*) as races, count(distinct m.event_id) as events,
                   list_sort(list(distinct coalesce(t.ladder_class, m.class_name))) as classes,
                   max(m.event_date) as last_raced
            from stg_race_results r join mart_races m using (race_id)
            left join int_race_tiers t using (race_id)
            group by r.driver_id
        )
        select d.driver_id, d.driver_name, d.driver_name_key, raced.races, raced.events, raced.classes,
               raced.last_raced, coalesce(b.bumpups, 0) as bumpups, b.avg_positions_gained
        from stg_drivers d join raced using (driver_id)
        left join mart_bumpup_drivers b using (driver_id)
        order by lower(d.driver_name), d.driver_id""")
    history: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows(con, "select * from mart_bumpup_driver_history order by driver_id, nth_bumpup"):
        history[row["driver_id"]].append(row)
    practice_days = rows(con, "select * from mart_practice_days order by practice_date desc, source_event_id")
    practice_classes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows(con, "select * from mart_practice_class_days order by source_event_id, class_name"):
        practice_classes[row["source_event_id"]].append(row)
    practice_sessions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows(con, """select * from int_practice_session_stats
                            order by source_event_id, lower(driver_name), start_local, session_id"""):
        practice_sessions[row["source_event_id"]].append(row)
    practice_laps: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows(con, """
        select s.source_event_id, s.class_name, l.end_local, l.lap_time
        from stg_practice_laps l join stg_practice_sessions s using (session_id)
        where l.is_valid and l.lap_time is not null and l.end_local is not null
        order by s.source_event_id, l.end_local"""):
        practice_laps[row["source_event_id"]].append(row)
    trend: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows(con, "select * from mart_practice_driver_track_trend order by driver_key, practice_date"):
        trend[row["driver_key"]].append(row)
    multi_main: dict[tuple[int, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows(con, """
        select event_id, class_key, main_letter, name_key, driver_name, published_position, published_points,
               computed_position, computed_points, scoring_rule, scoring_rule_source, legs_completed, legs_counted
        from mart_multi_main_standings
        order by event_id, class_key, main_letter, published_position nulls last, computed_position, name_key"""):
        multi_main[(row["event_id"], row["class_key"], row["main_letter"])].append(row)
    wh = Warehouse(tracks, events, races, dict(results), bumpups, event_reports, drivers, dict(history),
                   practice_days, dict(practice_classes), dict(practice_sessions), dict(practice_laps), dict(trend),
                   dict(multi_main))
    for b in bumpups:
        wh.bump_in[(b["target_race_id"], b["driver_id"])] = b
        wh.bump_out[(b["source_race_id"], b["driver_id"])] = b
    return wh


def counted_legs(completed: int) -> int:
    """How many legs count, by how many legs the class completed (the rule of
    ``mart_multi_main_standings``): 3 or more -> best 2, 2 -> best 1, 1 -> that leg."""
    return 2 if completed >= 3 else (1 if completed >= 1 else 0)


def multi_main_standings(races: list[dict[str, Any]], results: dict[int, list[dict[str, Any]]],
                         published: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """One double/triple main's standing: ``("published", rows)`` when LiveRC's multi-main page
    is stored (its order and points, with MRE's recomputation beside them), else
    ``("legs", rows)``: a reading of the legs' results, the counted legs' positions summed
    (best 2 of 3 or more legs, best 1 of 2; a leg not started counts the place the race gave it,
    a leg not in the results at all the field size plus one), lowest first, ties shown as ties and not broken
    (LiveRC breaks them by a rule its page names; without the page MRE does not guess)."""
    legs = [r for r in races if results.get(r["race_id"])]
    if not legs and not published:
        return "legs", []
    drivers: dict[Any, dict[str, Any]] = {}
    for i, race in enumerate(legs):
        for row in results[race["race_id"]]:
            key = row.get("driver_name_key") or row["driver_id"]
            d = drivers.setdefault(key, {"driver_id": row["driver_id"], "driver_name": row["driver_name"],
                                         "legs": [None] * len(legs), "places": [None] * len(legs)})
            d["places"][i] = row["finish_position"]  # a leg not started keeps the place it was given
            if row["result_status"] != "did_not_start":
                d["legs"][i] = row["finish_position"]
    if published:
        out = []
        for p in published:
            d = drivers.get(p["name_key"], {"driver_id": None, "legs": [None] * len(legs)})
            out.append({"driver_id": d["driver_id"], "driver_name": p["driver_name"], "legs": d["legs"],
                        "rank": p["published_position"], "total": p["published_points"],
                        "mre_rank": p["computed_position"], "mre_total": p["computed_points"],
                        "tied": False, "agrees": (p["published_position"], p["published_points"])
                        == (p["computed_position"], p["computed_points"])})
        return "published", out
    if len(legs) < 2:
        return "legs", []
    counted = counted_legs(len(legs))
    out = []
    for d in drivers.values():
        points = [p if p is not None else len(results[legs[i]["race_id"]]) + 1 for i, p in enumerate(d["places"])]
        out.append({**d, "total": sum(sorted(points)[:counted])})
    out.sort(key=lambda d: (d["total"], (d["driver_name"] or "").lower()))
    for d in out:
        d["rank"] = 1 + sum(o["total"] < d["total"] for o in out)
        d["tied"] = sum(o["total"] == d["total"] for o in out) > 1
    return "legs", out
