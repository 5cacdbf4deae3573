"""Warehouse models over heat sheets and rankings of generated sites (FIELD-GUIDE §11.3-§11.5):
each class's final positions per event come from the overall final ranking, line-ups match race
results, and the grid of a higher main confirms who bumped, also before its results exist, while
results always win over a sheet edited after the race ran. Expected values: the generator's truth."""

from __future__ import annotations

import duckdb
import pytest

from mre_crawler.normalize import driver_name_key
from mre_crawler.samplesite.site import SiteParams, Truth, iter_site
from warehouse.item_sources import item_sources
from warehouse.models import discover_models
from warehouse.runner import SQL_DIR, run_models, select_models
from warehouse.sources import ArrowSources

MODELS = ["stg_races", "stg_race_results", "stg_events", "stg_heat_sheet_races", "stg_lineups",
          "stg_overall_ranking_rows", "stg_round_ranking_rows", "int_race_tiers", "int_lineups_matched",
          "mart_class_final_positions", "mart_lineup_bumpups"]
BUMPUP_MODELS = ["stg_drivers", "stg_bumpup_corrections", "int_bumpups_detected", "mart_bumpups"]
TYPES = ("event", "race_result", "heat_sheet", "round_ranking", "overall_ranking")


def _build(pages):
    con = duckdb.connect()
    ArrowSources(item_sources([(p.url, p.page_type, p.meta, p.items) for p in pages])).load(con)
    run_models(con, select_models(discover_models(SQL_DIR / "models"), MODELS))
    return con


@pytest.fixture(scope="module")
def site():
    truth = Truth()
    pages = [p for p in iter_site(SiteParams(6, 5, 11, practice_days=0), truth) if p.page_type in TYPES]
    con = _build(pages)
    yield truth, pages, con
    con.close()


def test_final_positions_per_class_equal_the_overall_ranking_pages(site):
    _, pages, con = site
    expected = {(o.event_id, r.class_name, driver_name_key(r.driver_name), r.position, r.race_label, r.main_place)
                for p in pages if p.page_type == "overall_ranking" for o in p.items for r in o.rows}
    got = set(con.execute("select event_id, class_name, name_key, final_position, final_main, main_place"
                          " from mart_class_final_positions").fetchall())
    assert got == expected and len(got) > 100
    winners = con.execute("select count(*), count(distinct (event_id, class_name)) from mart_class_final_positions"
                          " where is_class_winner").fetchone()
    assert winners[0] == winners[1] > 10


def test_every_lineup_slot_of_a_run_race_matches_its_result(site):
    truth, _, con = site
    rows = con.execute("select race_id, driver_id, in_results, result_position is not null, race_match_rule"
                       " from int_lineups_matched").fetchall()
    assert rows and all(r[0] is not None for r in rows)
    assert all(r[2] and r[3] for r in rows)  # every generated race ran: every slot is in its results
    # grid order is the order the race ran with (truth: race grids), except sheets edited afterwards
    grids = {int(k): v["grid"] for k, v in truth.races.items()}
    by_race: dict = {}
    for race_id, driver_id, *_ in con.execute("select race_id, driver_id from int_lineups_matched"
                                              " order by race_id, grid_position").fetchall():
        by_race.setdefault(race_id, []).append(driver_id)
    same = sum(by_race[r] == grids[r] for r in by_race)
    assert same >= 0.9 * len(by_race) and set(map(frozenset, by_race.values())) <= set(map(frozenset, grids.values()))
    assert {r[4] for r in rows} == {"result link", "round and race number"}  # not-started sheets found by number


def test_the_grid_confirms_every_bump_up_the_generator_made(site):
    truth, _, con = site
    expected = {(b["target_race_id"], b["driver_id"], b["source_race_id"], b["target_grid_position"])
                for b in truth.bumpups}
    got = set(con.execute("select target_race_id, driver_id, source_race_id, grid_position from mart_lineup_bumpups"
                          " where is_bumpup").fetchall())
    assert got == expected and len(expected) > 20


def test_before_its_results_exist_the_grid_alone_confirms_and_results_win_after(site):
    truth, pages, _ = site
    sources = {b["source_race_id"] for b in truth.bumpups}
    top = {b["target_race_id"] for b in truth.bumpups} - sources
    # the top mains (A-Main, A1) have not run yet: their race pages are not there
    con = _build([p for p in pages if not (p.page_type == "race_result" and p.meta["race_id"] in top)])
    rows = con.execute("select target_race_id, driver_id, grid_position, evidence, is_bumpup"
                       " from mart_lineup_bumpups").fetchall()
    assert {(r[0], r[1], r[2]) for r in rows} == {(b["target_race_id"], b["driver_id"], b["target_grid_position"])
                                                 for b in truth.bumpups}
    evidence = {r[0]: r[3] for r in rows}
    assert {evidence[t] for t in top} == {"grid, no results yet"} and all(r[4] for r in rows)
    assert {e for t, e in evidence.items() if t not in top} == {"grid and results"}
    con.close()


def test_a_sheet_edited_after_the_race_never_overrides_its_results():
    """A bumped driver moved off the A-main grid on the sheet after the race ran: results still list
    him, so the stored results stand; a driver put on the grid who never raced is contradicted."""
    truth = Truth()
    pages = [p for p in iter_site(SiteParams(3, 4, 5, practice_days=0), truth) if p.page_type in TYPES]
    bump = truth.bumpups[0]
    sheet = next(s for p in pages if p.page_type == "heat_sheet" for s in p.items
                 if any(r.race_id == bump["target_race_id"] for r in s.races))
    race = next(r for r in sheet.races if r.race_id == bump["target_race_id"])
    slot = next(e for e in race.entries if e.grid_position == bump["target_grid_position"])
    slot.driver_name = "NOT A RACER"
    con = _build(pages)
    row = con.execute("select evidence, is_bumpup from mart_lineup_bumpups where target_race_id = ? and grid_position = ?",
                      [bump["target_race_id"], bump["target_grid_position"]]).fetchall()
    assert row == []  # the edited slot names nobody from the feeding main
    results = con.execute("select count(*) from stg_race_results where race_id = ? and driver_id = ?",
                          [bump["target_race_id"], bump["driver_id"]]).fetchone()[0]
    assert results == 1
    slot.driver_name = next(r.driver_name for p in pages if p.page_type == "race_result" for x in p.items
                            if x.race_id == bump["source_race_id"] for r in x.results
                            if r.driver_id not in {b["driver_id"] for b in truth.bumpups
                                                   if b["target_race_id"] == bump["target_race_id"]})
    con = _build(pages)
    row = con.execute("select evidence, is_bumpup from mart_lineup_bumpups where target_race_id = ? and grid_position = ?",
                      [bump["target_race_id"], bump["target_grid_position"]]).fetchall()
    assert row == [("grid contradicted by results", False)]


def test_the_new_models_pass_their_grain_checks(site):
    from warehouse.runner import run_checks

    _, _, con = site
    models = select_models(discover_models(SQL_DIR / "models"), MODELS)
    runs = run_checks(con, [m for m in models if m.name not in ("stg_races", "stg_race_results", "stg_events",
                                                                  "int_race_tiers")], None)
    assert runs and [r.name for r in runs if not r.passed] == []


def test_mart_bumpups_takes_the_grid_before_results_exist_and_the_results_after(site):
    """With the top mains not yet run, mart_bumpups holds every bump-up into them from their heat-sheet
    grids (medium confidence, check heat_sheet_grid); the other bump-ups still come from results. With
    every result stored, no row comes from a grid."""
    truth, pages, full = site
    sources = {b["source_race_id"] for b in truth.bumpups}
    top = {b["target_race_id"] for b in truth.bumpups} - sources
    con = duckdb.connect()
    ArrowSources(item_sources([(p.url, p.page_type, p.meta, p.items) for p in pages
                               if not (p.page_type == "race_result" and p.meta["race_id"] in top)])).load(con)
    run_models(con, select_models(discover_models(SQL_DIR / "models"), MODELS + BUMPUP_MODELS))
    rows = con.execute("select target_race_id, driver_id, source_race_id, target_grid_position, confidence,"
                       " checks_passed, target_finish_position from mart_bumpups").fetchall()
    expected = {(b["target_race_id"], b["driver_id"], b["source_race_id"]) for b in truth.bumpups}
    # every bump-up into a main that has not run comes from its grid, the rest from results, once each
    assert {r[:3] for r in rows if r[0] in top} == {e for e in expected if e[0] in top}
    assert {r[:3] for r in rows} == expected and len(rows) == len(expected)
    from_grid = [r for r in rows if r[0] in top]
    assert from_grid and all(r[4] == "medium" and r[5] == ["heat_sheet_grid"] and r[6] is None for r in from_grid)
    grid_slot = {(b["target_race_id"], b["driver_id"]): b["target_grid_position"] for b in truth.bumpups}
    assert all(r[3] == grid_slot[(r[0], r[1])] for r in from_grid)
    assert not any("heat_sheet_grid" in r[5] for r in rows if r[0] not in top)
    con.close()
    con = duckdb.connect()
    ArrowSources(item_sources([(p.url, p.page_type, p.meta, p.items) for p in pages])).load(con)
    run_models(con, select_models(discover_models(SQL_DIR / "models"), MODELS + BUMPUP_MODELS))
    rows = con.execute("select target_race_id, driver_id, source_race_id, checks_passed from mart_bumpups").fetchall()
    assert {r[:3] for r in rows} == expected and not any("heat_sheet_grid" in r[3] for r in rows)
    con.close()


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_the_overall_ranking_orders_a_triple_main_as_its_multi_main_page_does(seed):
    """The generated overall final ranking and multi-main page of the same triple A-main agree: the
    overall's first rows of the class are the multi-main standing, driver for driver, with its points."""
    pages = list(iter_site(SiteParams(4, 5, seed, practice_days=0)))
    multi = {(x.event_id, x.class_name): x for p in pages if p.page_type == "multi_main" for x in p.items}
    overall = {o.event_id: o for p in pages if p.page_type == "overall_ranking" for o in p.items}
    checked = 0
    for (event_id, cls), x in multi.items():
        rows = [r for r in overall[event_id].rows if r.class_name == cls][: len(x.rows)]
        assert [(r.driver_name, r.points) for r in rows] == [(m.driver_name, m.points) for m in x.rows]
        checked += 1
    assert checked  # the seed has triple A-mains


def test_a_missing_first_leg_gives_each_bump_up_one_row_from_its_grid(site):
    """Only the first leg's results page of each top main is missing (A1 of a double/triple A-main,
    the single main elsewhere); the later legs' results are stored. The results-only detection then
    reads A2 as the target (int_bumpups_detected has rows no truth bump-up has), but mart_bumpups
    holds each bump-up once: into A1, from A1's heat-sheet grid, and no second row into A2."""
    truth, pages, _ = site
    sources = {b["source_race_id"] for b in truth.bumpups}
    top = {b["target_race_id"] for b in truth.bumpups} - sources
    con = duckdb.connect()
    ArrowSources(item_sources([(p.url, p.page_type, p.meta, p.items) for p in pages
                               if not (p.page_type == "race_result" and p.meta["race_id"] in top)])).load(con)
    run_models(con, select_models(discover_models(SQL_DIR / "models"), MODELS + BUMPUP_MODELS))
    expected = {(b["target_race_id"], b["driver_id"], b["source_race_id"]) for b in truth.bumpups}
    pairs = {(t, d) for t, d, _ in expected}
    detected = con.execute("select target_race_id, driver_id from int_bumpups_detected").fetchall()
    later_leg = [r for r in detected if r not in pairs]
    assert later_leg, "no later leg was read as a target: the site has no double/triple main to test with"
    rows = con.execute("select target_race_id, driver_id, source_race_id, confidence, checks_passed"
                       " from mart_bumpups").fetchall()
    assert len(rows) == len({r[:2] for r in rows})
    assert not any(r[:2] in set(later_leg) for r in rows)
    assert {r[:3] for r in rows} == expected
    assert all(r[3] == "medium" and r[4] == ["heat_sheet_grid"] for r in rows if r[0] in top)
    per_driver = con.execute("select event_id, class_name, driver_id, target_tier_rank, count(*) from mart_bumpups"
                             " group by all having count(*) > 1").fetchall()
    assert per_driver == []
    con.close()
