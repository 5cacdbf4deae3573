"""Heat sheets, round rankings and the overall final ranking -> rows (FIELD-GUIDE §11.3-§11.5).

Kept out of :mod:`mre_crawler.store.rows` so these page types touch the shared store in three
places only (the supported kinds, the dispatch, the removal marking after the flush). Every page
is authoritative for its own rows: a row it no longer shows is marked removed, never deleted. A
heat sheet writes line-ups only; race results come from race pages alone, so a sheet organisers
edited after a race ran cannot change them.
"""

from __future__ import annotations

from typing import Any

from mre_crawler import heat_items as hi
from mre_crawler.normalize import class_key, driver_name_key
from mre_crawler.store.quarantine import _item_raw, _quarantine_row
from mre_crawler.store.specs import Upsert

HEAT_SHEETS = Upsert("heat_sheets", "heat_sheets", ("heat_sheet_id",), cols=("track_slug", "round_name"),
                     fill=("event_id",))
HEAT_SHEET_RACES = Upsert("heat_sheet_races", "heat_sheet_races", ("heat_sheet_id", "race_number"),
                          cols=("race_label", "class_name", "class_key", "heat_number", "heat_count", "status",
                                "race_id"), restores=True)
LINEUPS = Upsert("lineups", "lineups", ("heat_sheet_id", "race_number", "grid_position"),
                 cols=("car_number", "driver_name", "name_key", "transponder"), restores=True)
ROUND_RANKINGS = Upsert("round_rankings", "round_rankings", ("ranking_id",),
                        cols=("track_slug", "mode", "round_name", "columns"), fill=("event_id",))
ROUND_RANKING_ROWS = Upsert(
    "round_ranking_rows", "round_ranking_rows", ("ranking_id", "class_name", "name_key"),
    cols=("class_key", "position", "driver_name", "laps", "total_time", "flag", "top2_consecutive",
          "top3_consecutive", "avg_top5", "fastest_lap", "avg_lap", "heat_number", "heat_count", "race_id"),
    restores=True)
OVERALL_RANKINGS = Upsert("overall_rankings", "overall_rankings", ("event_id",), cols=("track_slug",))
OVERALL_RANKING_ROWS = Upsert(
    "overall_ranking_rows", "overall_ranking_rows", ("event_id", "class_name", "name_key"),
    cols=("class_key", "position", "driver_name", "main_place", "points", "laps", "total_time", "flag",
          "result_raw", "race_label", "race_id"), restores=True)

SPECS = (HEAT_SHEETS, HEAT_SHEET_RACES, LINEUPS, ROUND_RANKINGS, ROUND_RANKING_ROWS, OVERALL_RANKINGS,
         OVERALL_RANKING_ROWS)
KINDS = (hi.HeatSheet, hi.RoundRanking, hi.OverallRanking)
# child table -> (parent spec whose scope it follows, scope column, the rest of its key)
REMOVAL = (
    (HEAT_SHEET_RACES, "heat_sheet_id", ("race_number",)),
    (LINEUPS, "heat_sheet_id", ("race_number", "grid_position")),
    (ROUND_RANKING_ROWS, "ranking_id", ("class_name", "name_key")),
    (OVERALL_RANKING_ROWS, "event_id", ("class_name", "name_key")),
)
KEY_TYPES = {"heat_sheet_id": "bigint", "ranking_id": "bigint", "race_number": "integer",
             "grid_position": "integer"}


def _missing_id(batch: Any, page: Any, x: Any, what: str) -> None:
    batch.quarantine.append(_quarantine_row(page.url, page.page_type, page.body, page.body_sha256,
                                            f"{what} without its id", _item_raw(x), ""))


def add_item(batch: Any, x: Any, page: Any, track_stub, event_stub) -> None:
    """Put one page's rows into ``batch``; scopes go into ``batch.lineup_scopes[table]``."""
    scopes = batch.lineup_scopes
    if isinstance(x, hi.HeatSheet):
        if x.heat_sheet_id is None:
            return _missing_id(batch, page, x, "heat sheet")
        slug = track_stub(batch, x.track_slug)
        event_stub(batch, slug, x.event_id)
        batch.put(HEAT_SHEETS, (x.heat_sheet_id, slug, x.round_name, x.event_id))
        for table in ("heat_sheet_races", "lineups"):
            scopes.setdefault(table, set()).add(x.heat_sheet_id)
        for race in x.races:
            if race.race_number is None:
                continue  # the parser recorded the problem; a block without its number has no key
            batch.put(HEAT_SHEET_RACES, (x.heat_sheet_id, race.race_number, race.race_label, race.class_name,
                                         class_key(race.class_name), race.heat_number, race.heat_count,
                                         race.status, race.race_id))
            for e in race.entries:
                batch.put(LINEUPS, (x.heat_sheet_id, race.race_number, e.grid_position, e.car_number,
                                    e.driver_name, driver_name_key(e.driver_name) or e.driver_name, e.transponder))
    elif isinstance(x, hi.RoundRanking):
        if x.ranking_id is None:
            return _missing_id(batch, page, x, "round ranking")
        slug = track_stub(batch, x.track_slug)
        event_stub(batch, slug, x.event_id)
        batch.put(ROUND_RANKINGS, (x.ranking_id, slug, x.mode, x.round_name, list(x.columns), x.event_id))
        scopes.setdefault("round_ranking_rows", set()).add(x.ranking_id)
        for r in x.rows:
            key = driver_name_key(r.driver_name)
            if key is None:
                continue
            batch.put(ROUND_RANKING_ROWS, (x.ranking_id, r.class_name, key, class_key(r.class_name), r.position,
                                           r.driver_name, r.laps, r.total_time, r.flag, r.top2_consecutive,
                                           r.top3_consecutive, r.avg_top5, r.fastest_lap, r.avg_lap,
                                           r.heat_number, r.heat_count, r.race_id))
    elif isinstance(x, hi.OverallRanking):
        if x.event_id is None:
            return _missing_id(batch, page, x, "overall ranking")
        slug = track_stub(batch, x.track_slug)
        event_stub(batch, slug, x.event_id)
        batch.put(OVERALL_RANKINGS, (x.event_id, slug))
        scopes.setdefault("overall_ranking_rows", set()).add(x.event_id)
        for r in x.rows:
            key = driver_name_key(r.driver_name)
            if key is None:
                continue
            batch.put(OVERALL_RANKING_ROWS, (x.event_id, r.class_name, key, class_key(r.class_name), r.position,
                                             r.driver_name, r.main_place, r.points, r.laps, r.total_time, r.flag,
                                             r.result_raw, r.race_label, r.race_id))
    return None


def mark_removed(cur: Any, batch: Any, counts: Any) -> None:
    """After the flush: rows a written page no longer shows are marked removed."""
    from mre_crawler.store.removal import _mark_removed_scoped

    for spec, scope_col, rest in REMOVAL:
        scope = batch.lineup_scopes.get(spec.table)
        if scope:
            counts.add(spec.table, removed=_mark_removed_scoped(cur, spec.table, scope_col, rest, batch, spec, scope))
