"""Bump-up models (int_race_tiers, int_bumpups_detected, mart_bumpups and the analytics marts), one
case per rule, over hand-made staging rows in a fresh in-memory DuckDB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pytest

from warehouse.item_sources import item_sources
from warehouse.models import discover_models
from warehouse.runner import SQL_DIR, run_models, select_models
from warehouse.sources import ArrowSources

NITRO = "1/8 Nitro Buggy"
DAY = dt.datetime(2025, 11, 16, 8, 0)

COLUMNS: dict[str, dict[str, str]] = {
    "stg_races": {
        "race_id": "bigint", "event_id": "bigint", "track_slug": "varchar", "class_name": "varchar",
        "race_name": "varchar", "round_name": "varchar", "completed_local": "timestamp",
        "schedule_index": "integer", "length_seconds": "integer", "race_number": "integer",
    },
    "stg_race_results": {
        "race_id": "bigint", "driver_id": "bigint", "finish_position": "integer", "qual_position": "integer",
        "grid_position": "integer", "result_status": "varchar", "printed_driver_name": "varchar",
    },
    "stg_events": {"event_id": "bigint", "event_name": "varchar", "date_start": "date", "track_slug": "varchar"},
    "stg_drivers": {"driver_id": "bigint", "driver_name": "varchar"},
    "stg_bumpup_corrections": {
        "correction_id": "bigint", "event_id": "bigint", "correction_action": "varchar", "driver_id": "bigint",
        "source_race_id": "bigint", "target_race_id": "bigint", "correction_reason": "varchar",
        "correction_set_by": "varchar", "correction_set_at": "timestamp",
    },
}
MODELS = [
    "int_race_tiers", "int_bumpups_detected", "mart_bumpups", "mart_bumpup_ladders", "mart_bumpup_event_classes",
    "mart_bumpup_entry_routes", "mart_bumpup_route_summary", "mart_bumpup_drivers", "mart_bumpup_track_trends",
    "mart_bumpup_driver_history", "mart_bumpup_skipped_races",
    # heat-sheet grids (mart_bumpups takes a main's grid until its results exist); none here
    "stg_heat_sheet_races", "stg_lineups", "int_lineups_matched", "mart_lineup_bumpups",
]


@dataclass
class Main:
    """A hand-made race: ``finishers`` are driver ids in finishing order; ``grid`` their start order
    (default: the finishing order); ``dns``/``stopped`` ids get that status."""

    race_name: str
    finishers: list[int] = field(default_factory=list)
    grid: list[int] | None = None
    dns: set[int] = field(default_factory=set)
    stopped: set[int] = field(default_factory=set)
    class_name: str | None = NITRO
    event_id: int = 1
    race_id: int | None = None
    minutes: int | None = None  # completion, minutes after 08:00 (default: 30 per race in list order)
    length_seconds: int | None = 300
    schedule_index: int | None = None
    no_lap0: bool = False  # only the Qual column carries the start slot


def _table(con: duckdb.DuckDBPyConnection, name: str, rows: Iterable[Mapping[str, Any]]) -> None:
    cols = COLUMNS[name]
    con.execute(f"create table {name} ({', '.join(f'{c} {t}' for c, t in cols.items())})")
    for row in rows:
        con.execute(f"insert into {name} values ({', '.join('?' for _ in cols)})", [row.get(c) for c in cols])


def build(mains: list[Main], corrections: Iterable[Mapping[str, Any]] = ()) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    races, results = [], []
    for i, m in enumerate(mains):
        race_id = m.race_id if m.race_id is not None else 100 + i
        minutes = m.minutes if m.minutes is not None else 30 * i
        races.append({
            "race_id": race_id, "event_id": m.event_id, "track_slug": "testtrack", "class_name": m.class_name,
            "race_name": m.race_name, "round_name": "Main Events",
            "completed_local": None if minutes < 0 else DAY + dt.timedelta(minutes=minutes),
            "schedule_index": m.schedule_index if m.schedule_index is not None else i,
            "length_seconds": m.length_seconds,
        })
        grid = m.grid or m.finishers
        for pos, driver in enumerate(m.finishers, 1):
            slot = grid.index(driver) + 1
            results.append({
                "race_id": race_id, "driver_id": driver, "finish_position": pos, "qual_position": slot,
                "grid_position": None if (driver in m.dns or m.no_lap0) else slot,
                "result_status": "did_not_start" if driver in m.dns else "stopped_early" if driver in m.stopped else "finished",
                "printed_driver_name": f"DRIVER {driver}",
            })
    _table(con, "stg_races", races)
    _table(con, "stg_race_results", results)
    events = sorted({m.event_id for m in mains})
    _table(con, "stg_events", [{"event_id": e, "event_name": f"Event {e}", "date_start": DAY.date() + dt.timedelta(days=e),
                                "track_slug": "testtrack"} for e in events])
    _table(con, "stg_drivers", [])
    _table(con, "stg_bumpup_corrections", corrections)
    ArrowSources(item_sources([])).load(con)  # empty heat-sheet sources
    run_models(con, select_models(discover_models(SQL_DIR / "models"), MODELS))
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    rel = con.execute(sql)
    cols = [d[0] for d in rel.description]
    return [dict(zip(cols, r)) for r in rel.fetchall()]


def bumpups(con: duckdb.DuckDBPyConnection) -> dict[tuple[int, int], dict[str, Any]]:
    """mart_bumpups by (driver, target race)."""
    return {(r["driver_id"], r["target_race_id"]): r for r in rows(con, "select * from mart_bumpups")}


def tiers(con: duckdb.DuckDBPyConnection) -> dict[int, dict[str, Any]]:
    return {r["race_id"]: r for r in rows(con, "select * from int_race_tiers")}


# A B-Main of 6 (drivers 11..16), whose top 2 start the A-Main at the back of 6 (1..4 direct).
B_TO_A = [
    Main(f"{NITRO} B-Main", [11, 12, 13, 14, 15, 16]),
    Main(f"{NITRO} A-Main", [1, 11, 2, 3, 12, 4], grid=[1, 2, 3, 4, 11, 12]),
]


# ---------------------------------------------------------------------------------------------
# Ladder tiers
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("class_name", "race_name", "tier_kind", "tier_label", "tier_rank"),
    [
        (NITRO, f"{NITRO} A-Main", "main", "A-Main", 1),
        (NITRO, f"{NITRO} D-Main", "main", "D-Main", 4),
        (NITRO, f"{NITRO} Z-Main", "main", "Z-Main", 26),
        (NITRO, f"{NITRO} B Main", "main", "B-Main", 2),
        ("Junior", "Junior A-Main", "main", "A-Main", 1),
        (NITRO, f"{NITRO} Junior A-Main", "main", "A-Main", 1),
        (NITRO, f"{NITRO} A2-Main", "main_leg", "A-Main", 1),
        (NITRO, f"{NITRO} C3-Main", "main_leg", "C-Main", 3),
        (NITRO, f"{NITRO} Semi A", "semi", "Semi", 2),
        (NITRO, f"{NITRO} 1/1 Final", "bracket", "1/1 Final", 1),
        (NITRO, f"{NITRO} 1/8 Final Odd", "bracket", "1/8 Final", 4),
        (NITRO, f"{NITRO} 1/16 Final Even", "bracket", "1/16 Final", 5),
        (NITRO, f"{NITRO} Main", "final", "Main", 1),
    ],
)
def test_each_ladder_label_gets_its_tier(class_name, race_name, tier_kind, tier_label, tier_rank):
    t = tiers(build([Main(race_name, class_name=class_name)]))[100]
    assert (t["tier_kind"], t["tier_label"], t["tier_rank"], t["tier_reason"]) == (tier_kind, tier_label, tier_rank, None)


@pytest.mark.parametrize(
    ("race_name", "reason_start"),
    [
        (f"{NITRO} (Heat 1/3)", "qualifier heat"),
        (f"{NITRO} Q2", "qualifying"),
        (f"{NITRO} Dash for Cash", "unrecognised label 'dash for cash'"),
        (f"{NITRO} Mainly Fun", "unrecognised label"),
        (f"{NITRO} 1/3 Final", "bracket final 1/3 is not a power of two"),
    ],
)
def test_labels_off_the_ladder_get_no_tier_and_a_reason(race_name, reason_start):
    t = tiers(build([Main(race_name)]))[100]
    assert t["tier_rank"] is None
    assert t["tier_reason"].startswith(reason_start)


def test_unrecognised_label_is_listed_in_the_ladder_mart_with_its_reason():
    con = build([Main(f"{NITRO} Dash for Cash", [1, 2]), *B_TO_A])
    noted = {r["race_id"]: r["note"] for r in rows(con, "select race_id, note from mart_bumpup_ladders")}
    assert noted[100].startswith("unrecognised label")


def test_missing_letter_feeds_the_next_listed_tier_with_medium_confidence():
    con = build([
        Main(f"{NITRO} C-Main", [21, 22, 23, 24]),
        Main(f"{NITRO} A-Main", [1, 2, 21, 3, 22], grid=[1, 2, 3, 21, 22]),
    ])
    assert tiers(con)[100]["skips_tier"] is True
    b = bumpups(con)
    assert set(b) == {(21, 101), (22, 101)}
    assert all(r["confidence"] == "medium" and "ladder_complete" in r["checks_failed"] for r in b.values())


# ---------------------------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------------------------
def test_top_finishers_of_the_lower_main_bump_up_with_high_confidence():
    b = bumpups(build(B_TO_A))
    assert set(b) == {(11, 101), (12, 101)}
    r = b[(11, 101)]
    assert (r["source_race_id"], r["source_finish_position"], r["target_start_position"], r["target_finish_position"],
            r["target_status"], r["bumpup_kind"], r["confidence"]) == (100, 1, 5, 2, "finished", "advance", "high")
    assert r["checks_failed"] == [] and r["check_notes"] == []
    assert set(r["checks_passed"]) == {"source_before_target", "top_finishers", "no_skipped_finisher", "back_of_grid",
                                       "sources_complete", "ladder_complete"}


def test_direct_qualifiers_are_not_bump_ups():
    b = bumpups(build(B_TO_A))
    assert not {d for d, _ in b} & {1, 2, 3, 4}
    routes = {r["driver_id"]: r["entry_route"] for r in rows(build(B_TO_A), "select * from mart_bumpup_entry_routes")}
    assert routes == {1: "direct", 2: "direct", 3: "direct", 4: "direct", 11: "bumpup", 12: "bumpup"}


def test_lone_a_main_has_no_bump_ups():
    con = build([Main("Junior A-Main", [1, 2, 3], class_name="Junior")])
    assert bumpups(con) == {}
    assert tiers(con)[100]["feeds_rank"] is None


def test_chain_c_to_b_to_a_gives_one_row_per_step():
    con = build([
        Main(f"{NITRO} C-Main", [31, 32, 33]),
        Main(f"{NITRO} B-Main", [31, 21, 22, 32], grid=[21, 22, 31, 32]),
        Main(f"{NITRO} A-Main", [1, 2, 31, 21], grid=[1, 2, 31, 21]),
    ])
    b = bumpups(con)
    assert set(b) == {(31, 101), (32, 101), (31, 102), (21, 102)}
    assert (b[(31, 101)]["source_tier_label"], b[(31, 102)]["source_tier_label"]) == ("C-Main", "B-Main")
    assert (b[(31, 101)]["step_in_event"], b[(31, 102)]["step_in_event"]) == (1, 2)
    assert all(r["confidence"] == "high" for r in b.values())


def test_triple_main_driver_bumps_into_the_first_leg_only():
    legs = [Main(f"{NITRO} A{k}-Main", [1, 2, 11, 12], grid=[1, 2, 11, 12]) for k in (1, 2, 3)]
    con = build([Main(f"{NITRO} B-Main", [11, 12, 13]), *legs])
    b = bumpups(con)
    assert set(b) == {(11, 101), (12, 101)}  # 101 is A1; A2 (102) and A3 (103) keep the grid
    assert {tiers(con)[r]["tier_label"] for r in (101, 102, 103)} == {"A-Main"}


def test_triple_lower_mains_bump_from_the_leg_run_before_the_first_higher_leg():
    # event-486677.html order: C1, B1, A1, C2, B2, A2 ...: A1's bump-ups come from B1
    races = [Main(f"{NITRO} B1-Main", [11, 12, 13]), Main(f"{NITRO} A1-Main", [1, 11, 12], grid=[1, 11, 12]),
             Main(f"{NITRO} B2-Main", [12, 11, 13]), Main(f"{NITRO} A2-Main", [1, 12, 11], grid=[1, 11, 12])]
    b = bumpups(build(races))
    assert set(b) == {(11, 101), (12, 101)}
    assert {r["source_race_id"] for r in b.values()} == {100}


@pytest.mark.parametrize("lcq_name", [f"{NITRO} LCQ", f"{NITRO} Last Chance Qualifier"])
def test_lcq_top_finishers_go_to_the_a_main_as_kind_lcq(lcq_name):
    con = build([
        Main(lcq_name, [41, 42, 43]),
        Main(f"{NITRO} A-Main", [1, 41, 2, 3], grid=[1, 2, 3, 41]),
    ])
    b = bumpups(con)
    assert set(b) == {(41, 101)}
    assert (b[(41, 101)]["bumpup_kind"], b[(41, 101)]["source_tier_label"], b[(41, 101)]["confidence"]) == ("lcq", "LCQ", "high")


@pytest.mark.parametrize(
    ("lcq_class", "lcq_name", "rule"),
    [
        ("LCQ", f"{NITRO} LCQ", "label"),  # published under its own class name, class in the label
        ("Last Chance", "Last Chance Qualifier", "schedule"),  # nothing in the label: the next top main
    ],
)
def test_lcq_under_its_own_class_name_is_attached_to_the_class_it_feeds(lcq_class, lcq_name, rule):
    con = build([
        Main("Stock Truck A-Main", [7, 8], class_name="Stock Truck"),
        Main(lcq_name, [41, 42, 43], class_name=lcq_class),
        Main(f"{NITRO} A-Main", [1, 41, 2], grid=[1, 2, 41]),
    ])
    t = tiers(con)[101]
    assert (t["ladder_class"], t["ladder_class_rule"], t["tier_label"]) == (NITRO, rule, "LCQ")
    b = bumpups(con)
    assert set(b) == {(41, 102)} and b[(41, 102)]["class_name"] == NITRO


def test_lcq_that_no_class_can_take_gets_no_tier_and_a_reason():
    t = tiers(build([Main("LCQ", [41, 42], class_name="LCQ")]))[100]
    assert t["tier_rank"] is None and t["tier_reason"].startswith("LCQ attached to no class")


def test_semis_feed_the_final_and_bracket_finals_feed_the_next_size():
    con = build([
        Main(f"{NITRO} 1/4 Final Odd", [51, 52, 53]),
        Main(f"{NITRO} 1/4 Final Even", [61, 62, 63]),
        Main(f"{NITRO} 1/2 Final", [51, 61, 1, 52], grid=[1, 51, 61, 52]),
        Main(f"{NITRO} 1/1 Final", [51, 2, 61], grid=[2, 51, 61]),
    ])
    b = bumpups(con)
    assert set(b) == {(51, 102), (52, 102), (61, 102), (51, 103), (61, 103)}
    assert {b[(61, 102)]["source_race_id"], b[(51, 102)]["source_race_id"]} == {100, 101}


@pytest.mark.parametrize("status", ["did_not_start", "stopped_early"])
def test_dns_and_stopped_early_in_the_higher_main_are_kept_with_their_status(status):
    a = Main(f"{NITRO} A-Main", [1, 2, 3, 4, 12, 11], grid=[1, 2, 3, 4, 11, 12])
    if status == "did_not_start":
        a.dns = {11}
    else:
        a.stopped = {11}
    b = bumpups(build([B_TO_A[0], a]))
    r = b[(11, 101)]
    assert (r["target_status"], r["target_finish_position"], r["target_start_position"]) == (status, 6, 5)
    assert r["confidence"] == "high"
    if status == "did_not_start":
        assert r["target_grid_position"] is None and r["target_qual_position"] == 5  # no lap 0 for a DNS


def test_races_out_of_order_on_the_event_page_are_ordered_by_completion_time():
    # the event page lists newest first; schedule_index here contradicts the clock
    b_main = Main(f"{NITRO} B-Main", [11, 12, 13], minutes=0, schedule_index=5)
    a_main = Main(f"{NITRO} A-Main", [1, 11, 12], grid=[1, 11, 12], minutes=40, schedule_index=0)
    b = bumpups(build([a_main, b_main]))
    assert set(b) == {(11, 100), (12, 100)}
    assert all(r["confidence"] == "high" for r in b.values())


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------
def test_source_finishing_after_the_target_started_is_low_confidence():
    # A-Main (5 minutes) completed 3 minutes after the B-Main: it started before the B-Main ended
    b_main = Main(f"{NITRO} B-Main", [11, 12, 13], minutes=30)
    a_main = Main(f"{NITRO} A-Main", [1, 11, 12], grid=[1, 11, 12], minutes=33)
    r = bumpups(build([b_main, a_main]))[(11, 101)]
    assert r["confidence"] == "low" and "source_before_target" in r["checks_failed"]
    assert any("after the target started" in n for n in r["check_notes"])


def test_missing_completion_time_is_not_verified_and_medium():
    b_main = Main(f"{NITRO} B-Main", [11, 12, 13], minutes=-1)
    r = bumpups(build([b_main, B_TO_A[1]]))[(11, 101)]
    assert r["confidence"] == "medium"
    assert "source_before_target not verified: a completion time is missing" in r["check_notes"]


def test_driver_advancing_from_below_a_non_advancing_finisher_is_medium():
    # 12 (2nd in the B-Main) stayed behind; 13 (3rd) went up
    b_main = Main(f"{NITRO} B-Main", [11, 12, 13, 14])
    a_main = Main(f"{NITRO} A-Main", [1, 11, 13, 2], grid=[1, 2, 11, 13])
    b = bumpups(build([b_main, a_main]))
    assert b[(11, 101)]["confidence"] == "high"
    r = b[(13, 101)]
    assert r["confidence"] == "medium"
    assert {"top_finishers", "no_skipped_finisher"} <= set(r["checks_failed"])
    assert "1 starter(s) ahead of this driver in the B-Main did not advance" in r["check_notes"]


def test_a_did_not_start_ahead_in_the_source_is_not_a_skipped_finisher():
    b_main = Main(f"{NITRO} B-Main", [11, 12, 13], dns={12})
    b_main.finishers = [11, 13, 12]  # the DNS is classified last, as LiveRC prints it
    a_main = Main(f"{NITRO} A-Main", [1, 11, 13], grid=[1, 11, 13])
    b = bumpups(build([b_main, a_main]))
    assert {r["confidence"] for r in b.values()} == {"high"}


def test_target_grid_not_putting_bump_ups_at_the_back_is_medium():
    a_main = Main(f"{NITRO} A-Main", [1, 2, 3, 4, 11, 12], grid=[11, 1, 2, 3, 4, 12])
    b = bumpups(build([B_TO_A[0], a_main]))
    r = b[(11, 101)]
    assert r["confidence"] == "medium" and "back_of_grid" in r["checks_failed"]
    assert "starts 1 of 6: not behind the 4 direct qualifiers" in r["check_notes"]
    assert b[(12, 101)]["confidence"] == "high"


def test_start_slot_from_the_qual_column_when_there_is_no_lap0_grid():
    a_main = Main(f"{NITRO} A-Main", [1, 11, 2, 3, 12, 4], grid=[1, 2, 3, 4, 11, 12], no_lap0=True)
    r = bumpups(build([B_TO_A[0], a_main]))[(11, 101)]
    assert (r["target_grid_position"], r["target_qual_position"], r["target_start_position"]) == (None, 5, 5)
    assert r["confidence"] == "high"


def test_missing_source_page_claims_nothing_and_is_named_in_the_ladder():
    # the C-Main is listed on the event page but its results were never stored
    con = build([
        Main(f"{NITRO} C-Main", []),
        Main(f"{NITRO} B-Main", [11, 12, 13, 31], grid=[11, 12, 31, 13]),
        Main(f"{NITRO} A-Main", [1, 11, 12], grid=[1, 11, 12]),
    ])
    b = bumpups(con)
    assert set(b) == {(11, 102), (12, 102)}  # no C -> B row
    ladder = {r["race_id"]: r for r in rows(con, "select * from mart_bumpup_ladders")}
    assert ladder[100]["has_results"] is False
    assert ladder[100]["note"] == "results page not stored: bump-ups from it into the B-Main cannot be identified"


def test_missing_second_feeder_lowers_confidence_of_the_bump_ups_that_are_seen():
    con = build([
        Main(f"{NITRO} LCQ", []),
        Main(f"{NITRO} B-Main", [11, 12, 13]),
        Main(f"{NITRO} A-Main", [1, 11, 12, 41], grid=[1, 11, 12, 41]),
    ])
    r = bumpups(con)[(11, 102)]
    assert r["confidence"] == "medium" and "sources_complete" in r["checks_failed"]
    assert "results not stored for 1/8 Nitro Buggy LCQ (race 100), which also feeds the A-Main" in r["check_notes"]


def test_classes_and_events_never_mix():
    con = build([
        Main(f"{NITRO} B-Main", [11, 12]),
        Main("Stock Truck A-Main", [11, 5], class_name="Stock Truck"),
        Main(f"{NITRO} A-Main", [11, 1], event_id=2),
    ])
    assert bumpups(con) == {}


# ---------------------------------------------------------------------------------------------
# Corrections
# ---------------------------------------------------------------------------------------------
def _correction(cid: int, action: str, driver: int, target: int, source: int | None = None, minutes: int = 0):
    return {"correction_id": cid, "event_id": 1, "correction_action": action, "driver_id": driver,
            "source_race_id": source, "target_race_id": target, "correction_reason": "race director said so",
            "correction_set_by": "volunteer", "correction_set_at": DAY + dt.timedelta(minutes=minutes)}


def test_suppress_removes_a_detected_bump_up_and_clear_restores_it():
    con = build(B_TO_A, [_correction(1, "suppress", 11, 101), _correction(2, "suppress", 12, 101),
                         _correction(3, "clear", 12, 101, minutes=5)])
    assert set(bumpups(con)) == {(12, 101)}


def test_add_creates_a_curated_bump_up_the_results_do_not_show():
    con = build(B_TO_A, [_correction(1, "add", 4, 101, source=100)])
    r = bumpups(con)[(4, 101)]
    assert (r["confidence"], r["correction"], r["correction_reason"]) == ("curated", "added", "race director said so")
    assert (r["target_start_position"], r["source_tier_label"], r["target_tier_label"]) == (4, "B-Main", "A-Main")


def test_add_over_a_detected_row_confirms_it():
    r = bumpups(build(B_TO_A, [_correction(1, "add", 11, 101, source=100)]))[(11, 101)]
    assert (r["confidence"], r["detected_confidence"], r["correction"]) == ("curated", "high", "confirmed")


# ---------------------------------------------------------------------------------------------
# Analytics marts
# ---------------------------------------------------------------------------------------------
def test_event_class_summary_counts_bump_ups_per_target():
    con = build(B_TO_A)
    (row,) = rows(con, "select * from mart_bumpup_event_classes")
    assert (row["summary"], row["bumpups"], row["high_confidence"]) == ("2 drivers bumped up to the A-Main", 2, 2)


def test_entry_routes_compare_bump_ups_with_direct_qualifiers():
    con = build(B_TO_A)
    by_driver = {r["driver_id"]: r for r in rows(con, "select * from mart_bumpup_entry_routes")}
    # 11 started 5th and finished 2nd: +3, percentile 1 - 1/5
    assert (by_driver[11]["positions_gained"], by_driver[11]["finish_percentile"]) == (3, pytest.approx(0.8))
    summary = {r["entry_route"]: r for r in rows(con, "select * from mart_bumpup_route_summary")}
    assert summary["bumpup"]["drivers"] == 2 and summary["direct"]["drivers"] == 4
    assert summary["bumpup"]["avg_positions_gained"] == pytest.approx((3 + 1) / 2)  # 12: 6th -> 5th
    assert summary["direct"]["did_not_start_rate"] == 0


def test_driver_marts_rank_and_number_each_drivers_bump_ups():
    con = build([
        Main(f"{NITRO} B-Main", [11, 12], event_id=1), Main(f"{NITRO} A-Main", [1, 11], grid=[1, 11], event_id=1),
        Main(f"{NITRO} B-Main", [11, 13], event_id=2), Main(f"{NITRO} A-Main", [11, 1], grid=[1, 11], event_id=2),
    ])
    drivers = {r["driver_id"]: r for r in rows(con, "select * from mart_bumpup_drivers")}
    assert (drivers[11]["bumpups"], drivers[11]["events"], drivers[11]["bumpup_rank"]) == (2, 2, 1)
    history = rows(con, "select * from mart_bumpup_driver_history where driver_id = 11 order by nth_bumpup")
    assert [h["event_id"] for h in history] == [1, 2] and [h["positions_gained"] for h in history] == [0, 1]
    trends = rows(con, "select * from mart_bumpup_track_trends order by event_id")
    assert [(t["event_id"], t["bumpups"], t["bumpups_per_main"]) for t in trends] == [(1, 1, 1), (2, 1, 1)]
