"""int_race_tiers reads a race label by its parts, in any order (fraction, half or branch, round
words, letter and leg, prefixes and class names); practice words win over main-like words;
placeholders and LCQs without back-of-grid evidence take part in no ladder; mart_bumpup_skipped_races
says what was skipped and why. Hand-made rows in a fresh in-memory DuckDB (tests/test_model_bumpups.py)."""

from __future__ import annotations

import pytest

from tests.test_model_bumpups import MODELS, NITRO, Main, build, bumpups, rows, tiers

ELECTRIC = "1/8 Electric Buggy"


# ---------------------------------------------------------------------------------------------
# Label orders
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("race_name", "tier_kind", "tier_label", "tier_rank", "side", "parts"),
    [
        (f"{NITRO} 1/8 Final Odd", "bracket", "1/8 Final", 4, "odd", ["round final", "fraction 1/8", "half odd"]),
        ("Buggy 1/8 Odd Final", "bracket", "1/8 Final", 4, "odd", ["round final", "fraction 1/8", "half odd"]),
        ("1/16 Even Final", "bracket", "1/16 Final", 5, "even", ["fraction 1/16", "half even"]),
        ("Odd 1/4 Final", "bracket", "1/4 Final", 3, "odd", ["fraction 1/4", "half odd"]),
        (f"{NITRO} Even 1/16 Final", "bracket", "1/16 Final", 5, "even", ["fraction 1/16"]),
        ("Buggy 1/1 Final", "bracket", "1/1 Final", 1, None, ["fraction 1/1"]),
        ("Buggy 1/1 Even Final", "bracket", "1/1 Final", 1, "even", ["fraction 1/1", "half even"]),
        (f"{NITRO} 1/2 Final Upper", "bracket", "1/2 Final", 2, "upper", ["half upper"]),
        (f"{NITRO} 1/4 Final B", "bracket", "1/4 Final", 3, "b", ["branch b"]),
        ("Semi A (Even)", "semi", "Semi", 2, "even", ["round semi", "branch a", "half even"]),
        (f"{NITRO} Semi B", "semi", "Semi", 2, "b", ["round semi", "branch b"]),
        ("Buggy Semi-Final A", "semi", "Semi", 2, "a", ["round semi", "branch a"]),
        (f"{NITRO} Quarter Final Odd", "bracket", "1/4 Final", 3, "odd", ["round quarter", "half odd"]),
        (f"{NITRO} A2-Main", "main_leg", "A-Main", 1, None, ["letter A", "leg 2"]),
        (f"{NITRO} A-Main 3", "main_leg", "A-Main", 1, None, ["letter A", "leg 3"]),
        (f"{NITRO} Main B", "main", "B-Main", 2, None, ["round main", "letter B"]),
        (f"{NITRO} C Final", "main", "C-Main", 3, None, ["letter C"]),
    ],
)
def test_each_label_order_gets_its_tier_and_says_which_parts_it_read(race_name, tier_kind, tier_label, tier_rank,
                                                                     side, parts):
    t = tiers(build([Main(race_name, [1, 2])]))[100]
    assert (t["tier_kind"], t["tier_label"], t["tier_rank"], t["bracket_side"], t["tier_reason"]) == (
        tier_kind, tier_label, tier_rank, side, None)
    for part in parts:
        assert part in t["label_parts"], (part, t["label_parts"])


def test_sibling_halves_share_a_tier_and_are_never_a_step():
    con = build([
        Main("1/8 Odd Final", [51, 52, 53]),
        Main("1/8 Even Final", [61, 62, 63, 51]),  # 51 also ran the odd half: same tier, no step
        Main("Buggy 1/4 Odd Final", [1, 51, 52], grid=[1, 51, 52]),
        Main("Buggy 1/4 Even Final", [2, 61, 62], grid=[2, 61, 62]),
    ])
    t = tiers(con)
    assert t[100]["tier_rank"] == t[101]["tier_rank"] == 4 and t[100]["feeds_rank"] == 3
    b = bumpups(con)
    assert set(b) == {(51, 102), (52, 102), (61, 103), (62, 103)}  # nothing into the even half (101)


def test_a_fraction_without_final_is_a_class_prefix_not_a_bracket():
    t = tiers(build([Main("1/8 Nitro Buggy Pro A-Main", [1, 2], class_name="Pro")]))[100]
    assert (t["tier_kind"], t["tier_label"], t["tier_rank"]) == ("main", "A-Main", 1)
    assert "fraction 1/8" in t["label_parts"] and "letter A" in t["label_parts"]


def test_bracket_chain_from_1_16_to_the_final_in_mixed_label_orders():
    con = build([
        Main("1/16 Odd Final", [71, 72, 73]),
        Main(f"{NITRO} 1/8 Final Odd", [61, 71, 62], grid=[61, 62, 71]),
        Main("Odd 1/4 Final", [51, 61, 52], grid=[51, 52, 61]),
        Main("Semi A (Odd)", [41, 51, 42], grid=[41, 42, 51]),
        Main("Buggy 1/1 Final", [1, 41, 51], grid=[1, 41, 51]),
    ])
    assert set(bumpups(con)) == {(71, 101), (61, 102), (51, 103), (41, 104), (51, 104)}


# ---------------------------------------------------------------------------------------------
# Practice look-alikes
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "race_name",
    [f"{NITRO} A Main Practice", f"{NITRO} A-Main Warm-Up", "Semi A (Even) Practice", f"{NITRO} Practice A-Main",
     f"{NITRO} 1/8 Final Odd Warmup", f"{NITRO} LCQ Practice", f"{NITRO} A-Main Qualifier"],
)
def test_practice_and_qualifying_words_win_over_main_like_words(race_name):
    con = build([Main(race_name, [1, 2])])
    t = tiers(con)[100]
    assert (t["tier_kind"], t["tier_rank"]) == ("qualifying", None)
    assert "wins over" in t["tier_reason"]
    (skipped,) = rows(con, "select * from mart_bumpup_skipped_races")
    assert skipped["skip_kind"] == "practice_lookalike" and skipped["race_id"] == 100


def test_practice_named_after_the_a_main_between_the_mains_takes_no_bump_ups():
    con = build([
        Main(f"{NITRO} B-Main", [11, 12, 13]),
        Main(f"{NITRO} A Main Practice", [1, 11, 2, 12], grid=[1, 2, 11, 12]),
        Main(f"{NITRO} A-Main", [1, 11, 2, 12], grid=[1, 2, 11, 12]),
    ])
    b = bumpups(con)
    assert set(b) == {(11, 102), (12, 102)}
    assert all(r["confidence"] == "high" for r in b.values())


# ---------------------------------------------------------------------------------------------
# Placeholders and LCQs attached by schedule
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("placeholder_class", "placeholder_name"),
    [("Lunch Break", "Lunch Break A-Main"), ("Track Maintenance", "Track Maintenance Main"), ("Lunch", "A-Main")],
)
def test_lcq_skips_a_placeholder_and_attaches_to_the_main_its_finishers_start_at_the_back_of(
        placeholder_class, placeholder_name):
    con = build([
        Main("Last Chance Qualifier", [41, 42, 43], class_name="Last Chance"),
        Main(placeholder_name, [], class_name=placeholder_class),
        Main(f"{NITRO} A-Main", [1, 41, 2, 42], grid=[1, 2, 41, 42]),
    ])
    t = tiers(con)
    assert (t[100]["tier_kind"], t[100]["ladder_class"], t[100]["ladder_class_rule"]) == ("lcq", NITRO, "schedule")
    assert t[101]["tier_rank"] is None and t[101]["tier_reason"].startswith("placeholder")
    b = bumpups(con)
    assert set(b) == {(41, 102), (42, 102)} and {r["bumpup_kind"] for r in b.values()} == {"lcq"}
    skipped = {r["race_id"]: r["skip_kind"] for r in rows(con, "select * from mart_bumpup_skipped_races")}
    assert skipped == {101: "placeholder"}


def test_a_class_without_results_is_no_placeholder_when_no_class_has_results():
    # nothing stored yet at this event: missing pages, not placeholders
    t = tiers(build([Main(f"{NITRO} B-Main", []), Main(f"{NITRO} A-Main", [])]))
    assert t[100]["tier_rank"] == 2 and t[101]["tier_rank"] == 1


def test_lcq_with_no_back_of_grid_evidence_is_not_attached_and_is_listed():
    # the next top main starts the LCQ's drivers at the front: no evidence it feeds that main
    con = build([
        Main("LCQ", [41, 42, 43], class_name="LCQ"),
        Main(f"{NITRO} A-Main", [41, 42, 1, 2], grid=[41, 42, 1, 2]),
    ])
    t = tiers(con)[100]
    assert t["tier_rank"] is None and t["tier_reason"].startswith("LCQ attached to no class")
    assert bumpups(con) == {}
    (skipped,) = rows(con, "select * from mart_bumpup_skipped_races")
    assert (skipped["race_id"], skipped["skip_kind"]) == (100, "lcq_unattached")


def test_lcq_whose_worst_advancing_finisher_is_too_far_down_has_no_evidence():
    # LCQ 1st and 5th at the back of the A-Main: the worst position (5) is more than count + 1 (3)
    con = build([
        Main("Last Chance", [41, 42, 43, 44, 45], class_name="Last Chance"),
        Main(f"{NITRO} A-Main", [1, 2, 41, 45], grid=[1, 2, 41, 45]),
    ])
    assert tiers(con)[100]["tier_rank"] is None


def test_lcq_goes_to_the_class_with_most_of_its_drivers_at_the_back():
    # driver 41 also races the electric class and sits at the back of its A-Main, which runs first
    con = build([
        Main("Last Chance Qualifier", [41, 42, 43], class_name="Last Chance"),
        Main(f"{ELECTRIC} A-Main", [5, 6, 41], grid=[5, 6, 41], class_name=ELECTRIC),
        Main(f"{NITRO} A-Main", [1, 41, 2, 42], grid=[1, 2, 41, 42]),
    ])
    t = tiers(con)[100]
    assert (t["ladder_class"], t["ladder_class_rule"]) == (NITRO, "schedule")
    assert set(bumpups(con)) == {(41, 102), (42, 102)}


def test_class_last_chance_with_race_last_chance_qualifier_reads_as_an_lcq():
    t = tiers(build([Main("Last Chance Qualifier", [41], class_name="Last Chance")]))[100]
    assert t["tier_kind"] == "lcq" and "round lcq" in t["label_parts"]


# ---------------------------------------------------------------------------------------------
# Unrecognised labels
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("race_name", "skip_kind", "reason_part"),
    [
        (f"{NITRO} Dash for Cash", "unrecognised_label", "(no ladder part read)"),
        (f"{NITRO} 1/8 Odd", "unrecognised_label", "(read: fraction 1/8, half odd)"),
        (f"{NITRO} 1/3 Final", "bracket_size", "not a power of two"),
    ],
)
def test_unrecognised_labels_are_listed_with_the_parts_read(race_name, skip_kind, reason_part):
    con = build([Main(race_name, [1, 2])])
    (skipped,) = rows(con, "select * from mart_bumpup_skipped_races")
    assert skipped["skip_kind"] == skip_kind and reason_part in skipped["reason"]


def test_skipped_mart_is_built_with_the_bump_up_models():
    assert "mart_bumpup_skipped_races" in MODELS
