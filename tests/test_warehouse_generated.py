"""The real models over generated sites (the sample-site generator's items fed straight into the
warehouse sources): session types against the generator's truth, practice figures against the
pages' own panels, and the sql/checks over clean data."""

from __future__ import annotations

import shutil
from collections import Counter

import duckdb
import pytest

from mre_crawler.samplesite.site import SiteParams, Truth, iter_site
from warehouse.item_sources import item_sources
from warehouse.models import discover_models
from warehouse.runner import SQL_DIR, run_checks, run_models, with_dependencies
from warehouse.settings import SETTINGS_SOURCE, BuildSettings
from warehouse.sources import ArrowSources

OWN_MARTS = ["mart_races", "mart_race_session_types", "int_laps_unified", "mart_practice_days", "mart_practice_driver_days",
             "mart_practice_class_days", "mart_practice_driver_track_trend", "stg_laps", "stg_drivers"]


def build_generated(params: SiteParams) -> tuple[duckdb.DuckDBPyConnection, Truth]:
    """The models over a generated site; ``truth.page_counts`` counts the pages by type."""
    truth = Truth()
    truth.page_counts = Counter()

    def pages():
        for p in iter_site(params, truth):
            truth.page_counts[p.page_type] += 1
            yield p.url, p.page_type, p.meta, p.items

    con = duckdb.connect()
    ArrowSources(item_sources(pages())).load(con)
    con.register(SETTINGS_SOURCE, BuildSettings(session_type_inference=True).as_arrow())
    models = with_dependencies(discover_models(SQL_DIR / "models"), OWN_MARTS)
    run_models(con, models)
    return con, truth


@pytest.fixture(scope="module")
def big_site() -> tuple[duckdb.DuckDBPyConnection, Truth]:
    # 5 tracks x 100 events: >= 500 events, ~5,600 races
    con, truth = build_generated(SiteParams(tracks=5, events=100, seed=20251116, practice_days=1))
    yield con, truth
    con.close()


def test_session_types_match_the_generators_truth_on_500_events(big_site):
    con, truth = big_site
    assert len(truth.events) >= 500
    rows = con.sql("select race_id, session_type, session_kind, confidence from mart_race_session_types"
                   " where race_source = 'race'").fetchall()
    assert len(rows) == len(truth.races)
    outcome = Counter()
    wrong_high = []
    for race_id, session_type, _kind, confidence in rows:
        expected = truth.races[str(race_id)]["session_type"]
        outcome[session_type == expected] += 1
        if session_type != expected and confidence == "high":
            wrong_high.append((race_id, truth.races[str(race_id)]["race_name"], session_type, expected))
    assert outcome[True] / len(rows) >= 0.99, outcome
    assert wrong_high == []


def test_session_kinds_match_the_generators_truth(big_site):
    con, truth = big_site
    # the generator's kinds: heat, main, triple_main_leg, lcq
    kinds = dict(con.sql("select race_id, session_kind from mart_race_session_types"
                         " where race_source = 'race'").fetchall())
    mismatched = [r for r, t in truth.races.items() if kinds[int(r)] != t["session_kind"]]
    assert len(mismatched) / len(truth.races) <= 0.01


def test_mart_races_fills_session_type_when_inference_is_on(big_site):
    con, _ = big_site
    assert con.sql("select count(*) from mart_races where session_type is null "
                   "or session_type <> effective_session_type").fetchall() == [(0,)]


def test_mart_races_counts_race_and_practice_day_sessions_and_every_row_has_a_session_type(big_site):
    con, truth = big_site
    counts = dict(con.sql("select race_source, count(*) from mart_races group by 1").fetchall())
    # every generated practice session has its own page
    assert counts == {"race": len(truth.races), "practice": truth.page_counts["practice_session"]}
    assert counts["practice"] > 0
    assert con.sql("select count(*) from mart_races where session_type is null or effective_session_type is null "
                   "or session_kind is null or session_type_confidence is null").fetchall() == [(0,)]
    assert con.sql("select session_type, session_kind, session_type_confidence, count(distinct race_key) "
                   "from mart_races where race_source = 'practice' group by all").fetchall() == [
        ("practiceday", "practiceday", "high", counts["practice"])]
    # the practice day is the event; laps per day add up to the day's own "Practice Stats" panel
    per_day = con.sql(
        "select m.source_event_id, sum(m.result_laps), any_value(d.panel_total_laps), count(m.race_id), "
        "count(m.event_id), bool_and(m.event_date = d.practice_date) "
        "from mart_races m join stg_practice_days d using (source_event_id) "
        "where m.race_source = 'practice' group by 1").fetchall()
    assert per_day and all(laps == panel and ids == 0 and events == 0 and same_day
                           for _, laps, panel, ids, events, same_day in per_day), per_day
    # and in the race-level session types, in the same namespace
    assert con.sql("select count(*) from mart_race_session_types where race_source = 'practice' "
                   "and session_type = 'practiceday'").fetchall() == [(counts["practice"],)]


def test_practice_day_figures_match_the_pages_own_panels(big_site):
    con, _ = big_site
    # the generator prints LiveRC's "Practice Stats" panel; ours are computed from the sessions
    rows = con.sql(
        "select source_event_id, laps, panel_total_laps, round(track_time_seconds), panel_total_track_time_seconds, "
        "unique_classes, panel_unique_classes from mart_practice_days"
    ).fetchall()
    assert rows
    for day, laps, panel_laps, time_s, panel_time, classes, panel_classes in rows:
        assert (laps, classes) == (panel_laps, panel_classes), day
        assert abs(time_s - panel_time) <= 1, day


OWN_CHECKS = ["race_positions_contiguous", "race_result_laps_match_laps", "every_race_has_a_session_type",
              "practice_session_belongs_to_a_day"]


def test_real_data_checks_pass_on_a_clean_generated_site(big_site, tmp_path):
    con, _ = big_site
    models = with_dependencies(discover_models(SQL_DIR / "models"), OWN_MARTS)
    for name in OWN_CHECKS:  # the checks over the models built here (bump-up checks need the bump-up marts)
        shutil.copy(SQL_DIR / "checks" / f"{name}.sql", tmp_path / f"{name}.sql")
    checks = run_checks(con, models, tmp_path)
    failed = [(c.name, c.offending_rows, c.sample[:2]) for c in checks if not c.passed]
    assert failed == []
    assert {c.name for c in checks if c.path is not None} == set(OWN_CHECKS)


@pytest.mark.parametrize(
    "check, breakage",
    [
        ("race_positions_contiguous", "update stg_race_results set finish_position = 99 where rowid = 0"),
        ("race_result_laps_match_laps", "delete from stg_laps where rowid = 0"),
        ("every_race_has_a_session_type", "delete from mart_race_session_types where rowid = 0"),
        ("every_race_has_a_session_type", "update mart_races set session_kind = null where race_key = "
                                          "(select min(race_key) from mart_races where race_source = 'practice')"),
    ],
)
def test_each_check_finds_the_breakage_it_is_for(check, breakage, tmp_path):
    con, _ = build_generated(SiteParams(tracks=1, events=2, seed=3, practice_days=1))
    shutil.copy(SQL_DIR / "checks" / f"{check}.sql", tmp_path / f"{check}.sql")
    assert all(c.passed for c in run_checks(con, [], tmp_path))
    con.execute(breakage)
    [found] = run_checks(con, [], tmp_path)
    assert found.offending_rows == 1


def test_unified_laps_hold_every_race_and_practice_lap_once_with_its_session_type(big_site):
    con, _ = big_site
    race_laps = con.sql("select count(*) from stg_laps").fetchall()[0][0]
    practice_laps = con.sql("select count(*) from stg_practice_laps").fetchall()[0][0]
    assert race_laps > 0 and practice_laps > 0
    assert con.sql("select race_source, count(*), count(distinct (run_key, lap_number)) from int_laps_unified "
                   "group by 1 order by 1").fetchall() == [
        ("practice", practice_laps, practice_laps), ("race", race_laps, race_laps)]
    # the session type is the run's race's; end times come with practice laps only
    assert con.sql("select count(*) from int_laps_unified u join mart_race_session_types s using (race_key) "
                   "where u.session_type is distinct from s.session_type").fetchall() == [(0,)]
    assert con.sql("select count(*) from int_laps_unified where race_source = 'practice' and end_local is null "
                   "and lap_time is not null").fetchall() == [(con.sql(
                       "select count(*) from stg_practice_laps where end_local is null and lap_time is not null"
                   ).fetchall()[0][0],)]
    assert con.sql("select count(*) from int_laps_unified where race_source = 'race' and end_local is not null"
                   ).fetchall() == [(0,)]
    # the practice namespace: a practice lap carries the session's driver key, never a driver id
    assert con.sql("select count(*) from int_laps_unified where race_source = 'practice' and driver_id is not null"
                   ).fetchall() == [(0,)]
