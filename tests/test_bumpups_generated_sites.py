"""Detection against the sample-site generator's truth on >= 1,000 events with every structure
(plain A..D ladders, triple A-mains, LCQs, LCQs published under their own class name, lone
A-Mains, DNS and stopped-early drivers in the higher main).

The generator's in-memory items go straight into the warehouse sources
(``warehouse.item_sources``: Arrow tables shaped like the PostgreSQL tables), so no HTML is
rendered and no database is needed; the real models run over them."""

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

TRACKS, EVENTS_PER_TRACK, SEED = 50, 21, 7
BUMPUP_MODELS = ["stg_races", "stg_race_results", "stg_events", "stg_drivers", "stg_bumpup_corrections",
                 "int_race_tiers", "int_bumpups_detected", "mart_bumpups",
                 "stg_heat_sheet_races", "stg_lineups", "int_lineups_matched", "mart_lineup_bumpups"]


@pytest.fixture(scope="module")
def generated() -> tuple[Truth, duckdb.DuckDBPyConnection]:
    truth = Truth()
    params = SiteParams(TRACKS, EVENTS_PER_TRACK, SEED, practice_days=0)
    pages = [(p.url, p.page_type, p.meta, p.items) for p in iter_site(params, truth)
             if p.page_type in ("event", "race_result")]
    con = duckdb.connect()
    ArrowSources(item_sources(pages)).load(con)
    run_models(con, select_models(discover_models(SQL_DIR / "models"), BUMPUP_MODELS))
    yield truth, con
    con.close()


def test_the_generated_site_has_every_structure(generated):
    truth, _ = generated
    assert len(truth.events) >= 1000
    formats = Counter(c["format"] for e in truth.events.values() for c in e["classes"])
    assert {"ladder", "triple", "lcq", "lone"} <= set(formats)
    lcq_labels = {c["lcq_label"] for e in truth.events.values() for c in e["classes"] if c["format"] == "lcq"}
    assert "LCQ" in lcq_labels and len(lcq_labels) > 1  # own class name and the class's name
    statuses = Counter(b["target_status"] for b in truth.bumpups)
    assert statuses["did_not_start"] and statuses["stopped_early"]
    assert {b["source_tier"] for b in truth.bumpups} >= {"B", "C", "D", None}  # None: from an LCQ


def test_no_false_bump_up_at_high_confidence_and_99_percent_found(generated):
    truth, con = generated
    check_no_false_high_and_recall(truth, con)


def test_found_bump_ups_carry_the_true_source_positions_grid_slots_and_status(generated):
    truth, con = generated
    check_found_carry_the_truth(truth, con)
