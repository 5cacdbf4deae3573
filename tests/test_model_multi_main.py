"""mart_multi_main_standings and mart_multi_main_disagreements (FIELD-GUIDE §11.6): the standings
recomputed from the legs equal the generator's truth for IFMAR and ROAR, reduced finals, sat-out
legs and ties; a planted disagreement shows with its reason; one case per rule by hand."""

from __future__ import annotations

import dataclasses
import random

import duckdb
import pyarrow as pa
import pytest

from mre_crawler import urls
from mre_crawler.items import MultiMainLeg, MultiMainResult, MultiMainRow
from mre_crawler.samplesite.multimain import score, scripted_multi_main
from mre_crawler.samplesite.site import SiteParams, iter_site
from warehouse.item_sources import item_sources
from warehouse.models import discover_models
from warehouse.runner import SQL_DIR, run_models, with_dependencies
from warehouse.sources import ArrowSources

MARTS = ["mart_multi_main_standings", "mart_multi_main_disagreements"]


def build(results: list[MultiMainResult], rules: dict[int, str] | None = None) -> duckdb.DuckDBPyConnection:
    pages = [(urls.multi_main_url(x.track_slug, x.multi_main_id), "multi_main", {}, [x]) for x in results]
    tables = item_sources(pages)
    if rules:
        schema = tables["multi_main_scoring_rules"].schema
        tables["multi_main_scoring_rules"] = pa.table({
            "event_id": list(rules), "rule": list(rules.values()), "note": [None] * len(rules),
            "created_at": [None] * len(rules)}, schema=schema)
    con = duckdb.connect()
    ArrowSources(tables).load(con)
    run_models(con, with_dependencies(discover_models(SQL_DIR / "models"), MARTS))
    return con


def standings(con, multi_main_id: int | None = None) -> list[dict]:
    where = "" if multi_main_id is None else f"where multi_main_id = {int(multi_main_id)}"
    rel = con.sql(f"select * from mart_multi_main_standings {where} order by multi_main_id, computed_position")
    return [dict(zip(rel.columns, row)) for row in rel.fetchall()]


def disagreements(con) -> list[dict]:
    rel = con.sql("select * from mart_multi_main_disagreements order by multi_main_id, published_position")
    return [dict(zip(rel.columns, row)) for row in rel.fetchall()]


def _scenarios(n: int) -> list[MultiMainResult]:
    out = []
    for seed in range(n):
        rng = random.Random(seed)
        scheduled = rng.choice((2, 3, 3, 3))
        completed = rng.choice((*range(scheduled + 1), scheduled, scheduled, scheduled))
        out.append(scripted_multi_main(seed, letter=rng.choice("ABC"), scheduled=scheduled, completed=completed,
                                       rule=("IFMAR", "ROAR")[seed % 2], event_id=1000 + seed,
                                       multi_main_id=900_000 + seed))
    return out


def test_computed_standings_equal_the_generators_truth_for_ifmar_and_roar():
    scenarios = _scenarios(400)
    con = build(scenarios)
    rows = standings(con)
    assert len(rows) == sum(len(x.rows) for x in scenarios)
    truth = {(x.multi_main_id, r.driver_name): (r.position, r.points) for x in scenarios for r in x.rows}
    assert {(r["multi_main_id"], r["driver_name"]): (r["computed_position"], r["computed_points"]) for r in rows} == truth
    assert disagreements(con) == []
    # the corners the scenarios must reach for this to mean something
    rules = {r["scoring_rule"] for r in rows}
    assert rules == {"IFMAR", "ROAR"} and {r["scoring_rule_source"] for r in rows} == {"page"}
    assert any(r["legs_completed"] < r["legs_scheduled"] for r in rows)  # reduced finals
    assert any(r["legs_completed"] == 0 for r in rows)  # no leg run: seeded order
    assert any(r["clinched_before_sitting_out"] for r in rows)  # won A1 and A2, sat out A3
    assert sum(r["tied_on_points"] for r in rows) > 100  # ties broken by the rule


def test_a_generated_sites_triple_a_mains_score_as_published():
    pages = [p.items[0] for p in iter_site(SiteParams(tracks=4, events=4, seed=7, practice_days=0))
             if p.page_type == "multi_main"]
    assert len(pages) >= 5
    con = build(pages)
    assert disagreements(con) == [] and len(standings(con)) == sum(len(x.rows) for x in pages)


def leg(n: int, place: int | None, laps: int = 20, time: float = 600.0, *, sat_out: bool = False) -> MultiMainLeg:
    if place is None:
        return MultiMainLeg(n, f"A{n}", None, None, None, None, None, True)
    if sat_out:
        return MultiMainLeg(n, f"A{n}", place, place, 0, 0.0, None, True)
    return MultiMainLeg(n, f"A{n}", place, place, laps, time, None, False)


def page(rows: list[tuple[str, int, list[MultiMainLeg]]], *, rule: str = "IFMAR", completed: int = 3,
         scheduled: int = 3, mid: int = 1, event_id: int = 10) -> MultiMainResult:
    """Rows (name, seeded, legs) with LiveRC's published standing set by the generator's scoring."""
    made = [MultiMainRow(0, seeded, name, None, legs) for name, seeded, legs in rows]
    return MultiMainResult("t", event_id, mid, "1/8 Buggy", "A", "Triple", [f"A{i}" for i in range(1, scheduled + 1)],
                           rule, completed, scheduled, score(made, completed, rule))


def order(con, mid: int = 1) -> list[str]:
    return [r["driver_name"] for r in standings(con, mid)]


def test_ifmar_one_and_three_beats_two_and_two():
    x = page([("TWO TWO", 1, [leg(1, 2), leg(2, 2), leg(3, 4)]), ("ONE THREE", 2, [leg(1, 1), leg(2, 3), leg(3, 3)])])
    assert order(build([x])) == ["ONE THREE", "TWO TWO"]


def test_ifmar_and_roar_break_the_same_tie_differently():
    """Same points, same best place: IFMAR looks at the best-placed leg's laps/time, ROAR at the
    faster counted run."""
    rows = [("X", 1, [leg(1, 1, 20, 610.0), leg(2, 3, 21, 600.0), leg(3, 5)]),
            ("Y", 2, [leg(1, 3, 20, 600.0), leg(2, 1, 20, 605.0), leg(3, 6)])]
    ifmar, roar = page(rows, rule="IFMAR", mid=1), page(rows, rule="ROAR", mid=2)
    con = build([ifmar, roar])
    assert order(con, 1) == ["Y", "X"] and order(con, 2) == ["X", "Y"]


def test_a_driver_who_won_a1_and_a2_and_sat_out_a3_wins_and_is_no_dnf():
    x = page([("CHAMP", 3, [leg(1, 1), leg(2, 1), leg(3, 3, sat_out=True)]),
              ("RUNNER", 1, [leg(1, 2), leg(2, 2), leg(3, 1)]),
              ("THIRD", 2, [leg(1, 3), leg(2, 3), leg(3, 2)])])
    top = standings(build([x]))[0]
    assert (top["driver_name"], top["computed_points"], top["legs_sat_out"], top["sat_out_legs"],
            top["clinched_before_sitting_out"]) == ("CHAMP", 2, 1, "A3", True)


@pytest.mark.parametrize(("completed", "expected"), [
    (2, ["B", "A", "C"]),  # best 1 of 2 counts; the other leg breaks the 1-1 tie
    (1, ["A", "B", "C"]),  # that leg counts
    (0, ["C", "B", "A"]),  # no leg run: seeded order
])
def test_reduced_finals(completed, expected):
    legs = {"A": [leg(1, 1), leg(2, 3)], "B": [leg(1, 2), leg(2, 1)], "C": [leg(1, 3), leg(2, 2)]}
    seeded = {"A": 3, "B": 2, "C": 1}
    rows = [(n, seeded[n], [*(g if g.leg_number <= completed else leg(g.leg_number, None) for g in ls),
                            leg(3, None)]) for n, ls in legs.items()]
    assert order(build([page(rows, completed=completed)])) == expected


def test_the_disagreement_mart_shows_a_planted_disagreement_with_its_reason():
    good = scripted_multi_main(11, event_id=20, multi_main_id=2)
    x = scripted_multi_main(12, rule="IFMAR", scheduled=3, completed=3, event_id=21, multi_main_id=3)
    # LiveRC prints P1 and P2 the other way round, and a wrong total for the last driver
    rows = list(x.rows)
    rows[0], rows[1] = dataclasses.replace(rows[1], position=1), dataclasses.replace(rows[0], position=2)
    rows[-1] = dataclasses.replace(rows[-1], points=(rows[-1].points or 0) + 5)
    planted = dataclasses.replace(x, rows=rows)
    found = disagreements(build([good, planted]))
    assert {(d["multi_main_id"], d["driver_name"]) for d in found} == {
        (3, x.rows[0].driver_name), (3, x.rows[1].driver_name), (3, x.rows[-1].driver_name)}
    by_name = {d["driver_name"]: d for d in found}
    last = by_name[x.rows[-1].driver_name]
    assert last["disagreement"] == "points" and last["reason"].startswith(
        f"published {x.rows[-1].points + 5} points, the legs give {x.rows[-1].points} (best 2 of 3")
    swapped = by_name[x.rows[0].driver_name]
    assert (swapped["published_position"], swapped["computed_position"]) == (2, 1)
    assert swapped["disagreement"] in ("tie_break", "position") and "P2" in swapped["reason"]


def test_the_rule_set_for_an_event_wins_over_the_page_and_the_difference_is_listed():
    rows = [("X", 1, [leg(1, 1, 20, 610.0), leg(2, 3, 21, 600.0), leg(3, 5)]),
            ("Y", 2, [leg(1, 3, 20, 600.0), leg(2, 1, 20, 605.0), leg(3, 6)])]
    con = build([page(rows, rule="IFMAR", event_id=77)], rules={77: "ROAR"})
    assert order(con) == ["X", "Y"]
    found = disagreements(con)
    assert len(found) == 2 and all(d["scoring_rule_source"] == "override" for d in found)
    assert all("scored by ROAR as set for the event; the page says IFMAR" in d["reason"] for d in found)


def test_bump_up_drivers_overall_finish_in_the_triple_a_main_matches_the_generator():
    """Every generated bump-up into a triple A-main is found on its multi-main page with the
    standing the page publishes; everyone else there is a direct qualifier."""
    from mre_crawler.samplesite.site import Truth
    from warehouse.settings import SETTINGS_SOURCE, BuildSettings

    truth = Truth()
    params = SiteParams(tracks=3, events=4, seed=7, practice_days=0)
    pages = [(p.url, p.page_type, p.meta, p.items) for p in iter_site(params, truth)]
    multi = [x for _u, t, _m, items in pages if t == "multi_main" for x in items]
    con = duckdb.connect()
    ArrowSources(item_sources(pages)).load(con)
    con.register(SETTINGS_SOURCE, BuildSettings(session_type_inference=True).as_arrow())
    run_models(con, with_dependencies(discover_models(SQL_DIR / "models"), ["mart_bumpup_multi_main_finishes"]))
    rel = con.sql("select multi_main_id, driver_name, bumped_up, driver_id, overall_position, published_position "
                  "from mart_bumpup_multi_main_finishes")
    rows = rel.fetchall()
    assert len(rows) == sum(len(x.rows) for x in multi)
    triple_classes = {(e["event_id"], c["class_name"]) for e in truth.events.values() for c in e["classes"]
                      if c["format"] == "triple"}
    expected = {(b["event_id"], b["class_name"], b["driver_id"]) for b in truth.bumpups
                if b["target_tier"] == "A" and (b["event_id"], b["class_name"]) in triple_classes}
    assert expected, "the site has bump-ups into triple A-mains"
    by_id = {x.multi_main_id: x for x in multi}
    got = {(by_id[m].event_id, by_id[m].class_name, d) for m, _n, bumped, d, _o, _p in rows if bumped}
    assert got == expected
    assert all(o == p for *_rest, o, p in rows)
