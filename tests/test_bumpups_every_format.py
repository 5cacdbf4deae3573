"""Bump-up detection against the generator's truth on >= 500 events of every mains format big
meetings publish (``SiteParams(formats="every")``, samplesite.formats): bracket finals from 1/16
down to the 1/1 Final in every label order, odd and even halves, semis named by letter, LCQs
published under their own class with a placeholder race before the main, practice sessions named
after mains run between the mains, mixed electric and nitro classes, plus the classic ladders.

The generator's in-memory items go straight into the warehouse sources (no HTML, no database);
the real models run over them."""

from __future__ import annotations

from collections import Counter

import duckdb
import pytest

from mre_crawler.samplesite.site import SiteParams, Truth, iter_site
from warehouse.item_sources import item_sources
from warehouse.models import discover_models
from warehouse.runner import SQL_DIR, run_models, select_models
from warehouse.sources import ArrowSources
from tests.fixtures_bumpup_truth import check_found_carry_the_truth, check_no_false_high_and_recall

TRACKS, EVENTS_PER_TRACK, SEED = 25, 21, 11
BUMPUP_MODELS = ["stg_races", "stg_race_results", "stg_events", "stg_drivers", "stg_bumpup_corrections",
                 "int_race_tiers", "int_bumpups_detected", "mart_bumpups", "mart_bumpup_skipped_races",
                 "stg_heat_sheet_races", "stg_lineups", "int_lineups_matched", "mart_lineup_bumpups"]


@pytest.fixture(scope="module")
def generated() -> tuple[Truth, duckdb.DuckDBPyConnection]:
    truth = Truth()
    params = SiteParams(TRACKS, EVENTS_PER_TRACK, SEED, practice_days=0, formats="every")
    pages = [(p.url, p.page_type, p.meta, p.items) for p in iter_site(params, truth)
             if p.page_type in ("event", "race_result")]
    con = duckdb.connect()
    ArrowSources(item_sources(pages)).load(con)
    run_models(con, select_models(discover_models(SQL_DIR / "models"), BUMPUP_MODELS))
    yield truth, con
    con.close()


def test_the_generated_site_has_every_format(generated):
    truth, _ = generated
    assert len(truth.events) >= 500
    formats = Counter(c["format"] for e in truth.events.values() for c in e["classes"])
    assert {"ladder", "triple", "lcq", "lone", "bracket", "lcq_own", "practice"} <= set(formats)
    names = {r["race_name"] for r in truth.races.values()}
    for printed in ("Buggy 1/8 Odd Final", "1/16 Even Final", "1/16 Odd Final", "Buggy 1/1 Final",
                    "Semi A (Even)", "Semi B (Odd)", "Last Chance Qualifier", "Lunch Break A-Main"):
        assert printed in names, printed
    assert any(n.endswith("1/8 Final Odd") for n in names)
    assert any(n.endswith("A Main Practice") for n in names)
    assert any(n.startswith("Semi") and n.endswith("Practice") for n in names)
    # bump-ups into every bracket round, from both halves
    kinds = Counter((b["source_tier"], b["target_tier"]) for b in truth.bumpups)
    assert {("1/16", "1/8"), ("1/8", "1/4"), ("1/4", "1/2"), ("1/2", "1/1")} <= set(kinds)
    nitro_and_electric = sum(
        1 for e in truth.events.values()
        if len({"Nitro" in c["class_name"] for c in e["classes"] if c["class_name"] != "Junior"}) == 2)
    assert nitro_and_electric > 100


def test_no_false_bump_up_at_high_confidence_and_99_percent_found(generated):
    truth, con = generated
    check_no_false_high_and_recall(truth, con)


@pytest.mark.parametrize("source_kind", ["bracket", "lcq", "main"])
def test_each_format_is_found(generated, source_kind):
    truth, con = generated
    found = {(r[0], r[1]) for r in con.execute("select target_race_id, driver_id from mart_bumpups").fetchall()}
    wanted = [(b["target_race_id"], b["driver_id"]) for b in truth.bumpups if b["source_kind"] == source_kind]
    assert wanted
    missed = [k for k in wanted if k not in found]
    assert len(missed) <= 0.01 * len(wanted), missed[:10]


def test_found_bump_ups_carry_the_true_source_positions_and_grid_slots(generated):
    truth, con = generated
    check_found_carry_the_truth(truth, con)


def test_practice_look_alikes_and_placeholders_are_never_on_a_ladder(generated):
    truth, con = generated
    tiers = {r[0]: r[1:] for r in con.execute(
        "select race_id, tier_rank, tier_reason from int_race_tiers").fetchall()}
    practice = [r["race_id"] for r in truth.races.values() if r["session_kind"] == "practice"]
    placeholders = [r["race_id"] for r in truth.races.values() if r["session_kind"] == "placeholder"]
    assert practice and placeholders
    assert all(tiers[r][0] is None for r in practice + placeholders)
    skipped = dict(con.execute("select race_id, skip_kind from mart_bumpup_skipped_races").fetchall())
    assert {skipped.get(r) for r in practice} == {"practice_lookalike"}
    assert {skipped.get(r) for r in placeholders} == {"placeholder"}


def test_every_lcq_under_its_own_class_is_attached_by_back_of_grid_evidence(generated):
    truth, con = generated
    # nothing in the name says which class it feeds: only the schedule and the grid can tell
    own = {int(r["race_id"]): r for r in truth.races.values()
           if r["session_kind"] == "lcq" and r["race_name"] in ("LCQ", "Last Chance", "Last Chance Qualifier")}
    assert own
    got = {r[0]: r[1:] for r in con.execute(
        "select race_id, ladder_class, ladder_class_rule from int_race_tiers").fetchall()}
    wrong = [(rid, got[rid]) for rid, r in own.items() if got[rid] != (r["class_name"], "schedule")]
    assert len(wrong) <= 0.01 * len(own), wrong[:10]


def test_every_format_page_parses_back_and_a_placeholder_page_is_refused_whole():
    """The new labels travel through the real parsers unchanged; a placeholder's race page has an empty
    results table, which the race parser refuses (so the crawler quarantines it and stores no results)."""
    from mre_crawler.errors import PageError
    from mre_crawler.parsers import parse_page
    from mre_crawler.samplesite.site import iter_track
    from tests.fixtures_samplesite import first_difference

    params = SiteParams(2, 8, SEED, practice_days=0, formats="every")
    failures, refused, checked = [], 0, 0
    for track in range(2):
        for page in iter_track(params, track):
            placeholder = page.page_type == "race_result" and not page.items[0].results
            try:
                result = parse_page(page.html().encode("utf-8"), page.url, page.page_type, page.meta)
            except PageError as exc:
                if placeholder and "results table has no rows" in str(exc):
                    refused += 1
                    continue
                raise
            assert not placeholder, page.url
            diff = first_difference(result.items, page.items)
            if diff or result.problems:
                failures.append(f"{page.url}: {diff or result.problems[:2]}")
            checked += 1
    assert checked and refused
    assert failures == []


def test_sample_site_command_writes_every_format_and_its_truth(tmp_path, capsys):
    from mre_crawler.cli import main
    from mre_crawler.samplesite import load_truth

    out = tmp_path / "site"
    assert main(["sample-site", str(out), "--tracks", "1", "--events", "6", "--seed", "3", "--practice-days", "0",
                 "--formats", "every"]) == 0
    truth = load_truth(out)
    assert truth["params"]["formats"] == "every"
    assert SiteParams.from_json(truth["params"]).formats == "every"
    assert {c["format"] for e in truth["events"].values() for c in e["classes"]} & {"bracket", "lcq_own", "practice"}
    with pytest.raises(SystemExit) as refused:
        main(["sample-site", str(tmp_path / "other"), "--formats", "bracket"])
    assert refused.value.code == 2
    assert "invalid choice: 'bracket'" in capsys.readouterr().err
