"""Session-type inference (int_race_session_signals + mart_race_session_types), one case per rule,
over hand-made rows in a fresh in-memory DuckDB."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.fixtures_warehouse import RaceRow as R

NITRO = "1/8 Nitro Buggy"


@pytest.mark.parametrize(
    ("race_name", "round_name", "class_name", "session_type", "session_kind", "confidence"),
    [
        # section and label agree: high
        ("1/8 Nitro Buggy A-Main", "Main Events", NITRO, "race", "main", "high"),
        ("1/8 Nitro Buggy  (Heat 3/3)".replace("  ", " "), "Qualifier Round 3", NITRO, "qualifying", "heat", "high"),
        ("1/8 Nitro Buggy LCQ", "Main Events", NITRO, "race", "lcq", "high"),
        ("1/8 Nitro Buggy Last Chance", "Main Events", NITRO, "race", "lcq", "high"),
        ("1/8 Nitro Buggy Semi A", "Main Events", NITRO, "race", "semi", "high"),
        ("1/8 Nitro Buggy Final", "Main Events", NITRO, "race", "final", "high"),
        ("1/8 Nitro Buggy Q1", "Qualifier Round 1", NITRO, "qualifying", "heat", "high"),
        ("1/8 Nitro Buggy (Heat 1/2)", "Seeding Round 1", NITRO, "qualifying", "seeding", "high"),
        ("1/8 Nitro Buggy (Heat 1/2)", "Practice Round 2", NITRO, "practice", "practice", "high"),
        ("1/8 Nitro Buggy Practice 2", "Practice Round 2", NITRO, "practice", "practice", "high"),
        ("1/8 Nitro Buggy Seeding 1", "Seeding Round 1", NITRO, "qualifying", "seeding", "high"),
        ("Junior A-Main", "Main Events", "Junior", "race", "main", "high"),
        # sponsor words do not fool it
        ("Practice Makes Perfect Cup A-Main", "Main Events", "1/8 Buggy", "race", "main", "high"),
        ("1/8 Nitro Buggy Seeding Cup A-Main", "Main Events", NITRO, "race", "main", "high"),
        # one strong signal only: medium
        ("1/8 Nitro Buggy", "Main Events", NITRO, "race", "main", "medium"),
        ("1/8 Nitro Buggy A-Main", None, NITRO, "race", "main", "medium"),
        ("1/8 Nitro Buggy (Heat 1/3)", "Round 1", NITRO, "qualifying", "heat", "medium"),
        # "Q" inside a word or a name is not a qualifier; "Main" inside a word is not a main
        ("Quick Quads Buggy", "Round 1", "Quick Quads Buggy", "race", "unknown", "low"),
        ("1/8 Nitro Buggy Domain Cup", "Round 1", NITRO, "race", "unknown", "low"),
        # strong signals conflict: low, falls back to race
        ("1/8 Nitro Buggy A-Main", "Qualifier Round 1", NITRO, "race", "main", "low"),
        ("1/8 Nitro Buggy (Heat 1/3)", "Main Events", NITRO, "race", "main", "low"),
        ("1/8 Nitro Buggy Practice", "Qualifier Round 2", NITRO, "race", "unknown", "low"),
        # nothing recognised: low, race, unknown kind
        ("1/8 Nitro Buggy", "Round 1", NITRO, "race", "unknown", "low"),
    ],
)
def test_each_signal_rule_gives_type_kind_and_confidence(
    session_types, race_name, round_name, class_name, session_type, session_kind, confidence
):
    row = session_types([R(race_name, round_name, class_name)])[100]
    assert (row["session_type"], row["session_kind"], row["confidence"]) == (session_type, session_kind, confidence)


def test_conflicting_section_and_label_are_listed_as_agreed_and_disagreed(session_types):
    row = session_types([R("1/8 Nitro Buggy A-Main", "Qualifier Round 1")])[100]
    assert row["signals_agreed"] == ["label"]
    assert row["signals_disagreed"] == ["section"]
    assert row["confidence"] == "low"


def test_triple_main_legs_share_a_kind_and_double_mains_are_told_apart(session_types):
    e = "1/8 Electric Buggy"
    rows = session_types(
        [R(f"{e} A1-Main", class_name=e), R(f"{e} A2-Main", class_name=e), R(f"{e} A3-Main", class_name=e)]
        + [R(f"{e} B1-Main", class_name=e, event_id=2), R(f"{e} B2-Main", class_name=e, event_id=2)]
    )
    assert [rows[i]["session_kind"] for i in (100, 101, 102)] == ["triple_main_leg"] * 3
    assert [rows[i]["session_kind"] for i in (103, 104)] == ["double_main_leg"] * 2
    assert all(r["session_type"] == "race" and r["confidence"] == "high" for r in rows.values())


def test_schedule_after_the_first_main_agrees_with_mains(session_types):
    rows = session_types([R("1/8 Nitro Buggy (Heat 1/2)", "Qualifier Round 1"), R("1/8 Nitro Buggy B-Main"), R("1/8 Nitro Buggy A-Main")])
    assert "schedule" in rows[100]["signals_agreed"]  # before the first main: a heat
    assert "schedule" not in rows[101]["signals_agreed"] + rows[101]["signals_disagreed"]  # the first main itself
    assert "schedule" in rows[102]["signals_agreed"]


def test_a_weak_schedule_conflict_lowers_high_to_medium(session_types):
    # a qualifier heat run after the class's A-Main: section and label agree, the order does not
    rows = session_types([R("1/8 Nitro Buggy A-Main"), R("1/8 Nitro Buggy (Heat 1/2)", "Qualifier Round 4")])
    assert rows[101]["session_type"] == "qualifying"
    assert rows[101]["confidence"] == "medium"
    assert rows[101]["signals_disagreed"] == ["schedule"]


def test_lcq_run_before_the_mains_is_not_contradicted_by_schedule(session_types):
    rows = session_types([R("1/8 Nitro Buggy LCQ"), R("1/8 Nitro Buggy B-Main"), R("1/8 Nitro Buggy A-Main")])
    assert (rows[100]["session_kind"], rows[100]["confidence"]) == ("lcq", "high")


def test_practice_day_event_is_practiceday_by_construction(session_types):
    rows = session_types(
        [R("1/8 Nitro Buggy A-Main", "Main Events", event_id=7)],
        events=[{"event_id": 7, "is_practice_day": True, "event_name": "Practice day"}],
    )
    row = rows[100]
    assert (row["session_type"], row["session_kind"], row["confidence"]) == ("practiceday", "practiceday", "high")
    assert row["signals_agreed"] == ["event"]
    assert row["signals_disagreed"] == ["label", "section"]


def test_practice_url_is_practiceday(session_types):
    rows = session_types(
        [R("1/8 Nitro Buggy (Heat 1/2)", "Qualifier Round 1")],
        pages=[{"url": "https://t.liverc.com/practice/?p=view_race_result&id=100", "page_type": "race_result", "url_id": 100}],
    )
    assert (rows[100]["session_type"], rows[100]["confidence"]) == ("practiceday", "high")
    assert "url" in rows[100]["signals_agreed"]


def test_results_url_is_no_practice_signal(session_types):
    rows = session_types(
        [R("1/8 Nitro Buggy A-Main")],
        pages=[{"url": "https://t.liverc.com/results/?p=view_race_result&id=100", "page_type": "race_result", "url_id": 100}],
    )
    assert rows[100]["session_type"] == "race"


def _override(race_id: int, override_id: int, minutes: int, **kw):
    return {
        "override_id": override_id,
        "race_id": race_id,
        "override_cleared": False,
        "override_reason": "checked with the race director",
        "override_set_by": "volunteer",
        "override_set_at": dt.datetime(2026, 1, 1) + dt.timedelta(minutes=minutes),
        **kw,
    }


def test_override_wins_over_inference_and_keeps_the_inferred_columns(session_types):
    rows = session_types(
        [R("1/8 Nitro Buggy A-Main")],
        overrides=[_override(100, 1, 0, override_session_type="practice", override_session_kind="practice")],
    )
    row = rows[100]
    assert (row["session_type"], row["session_kind"], row["confidence"]) == ("practice", "practice", "override")
    assert (row["inferred_session_type"], row["inferred_confidence"]) == ("race", "high")
    assert row["override_reason"] == "checked with the race director"


def test_newest_override_applies_and_a_cleared_one_restores_inference(session_types):
    rows = session_types(
        [R("1/8 Nitro Buggy A-Main"), R("1/8 Nitro Buggy B-Main")],
        overrides=[
            _override(100, 1, 0, override_session_type="practice"),
            _override(100, 2, 5, override_session_type="qualifying"),
            _override(101, 3, 0, override_session_type="practice"),
            _override(101, 4, 5, override_cleared=True),
        ],
    )
    assert (rows[100]["session_type"], rows[100]["session_kind"]) == ("qualifying", "unknown")
    assert (rows[101]["session_type"], rows[101]["confidence"]) == ("race", "high")


def test_every_race_gets_exactly_one_row(session_types):
    rows = session_types([R("1/8 Nitro Buggy", None, None), R("", None, None), R("1/8 Nitro Buggy A-Main")])
    assert sorted(rows) == [100, 101, 102]


def test_practice_sessions_are_practiceday_races_in_their_own_key_namespace():
    # session 100 and race 100 share a number: the keys keep them apart, and an override on race
    # 100 (a race id) never reaches practice session 100
    from tests.fixtures_warehouse import build_session_types

    con, races = build_session_types(
        [R("1/8 Nitro Buggy A-Main", event_id=7)],
        events=[{"event_id": 7, "source_event_id": "7", "is_practice_day": False}],
        overrides=[_override(100, 1, 0, override_session_type="qualifying")],
        practice_sessions=[
            {"session_id": 100, "source_event_id": "testtrack-practice-2025-11-15", "track_slug": "testtrack",
             "class_name": "1/10 Open"},
            {"session_id": 101, "source_event_id": "testtrack-practice-2025-11-15", "track_slug": "testtrack",
             "class_name": None},
        ],
    )
    try:
        rows = con.sql("select race_key, race_source, race_id, event_id, practice_session_id, source_event_id, "
                       "session_type, session_kind, confidence, signals_agreed, override_reason "
                       "from mart_race_session_types order by race_key").fetchall()
    finally:
        con.close()
    assert rows == [
        ("practice-100", "practice", None, None, 100, "testtrack-practice-2025-11-15",
         "practiceday", "practiceday", "high", ["event"], None),
        ("practice-101", "practice", None, None, 101, "testtrack-practice-2025-11-15",
         "practiceday", "practiceday", "high", ["event"], None),
        ("race-100", "race", 100, 7, None, "7", "qualifying", "unknown", "override", ["label", "section"],
         "checked with the race director"),
    ]
    assert races[100]["race_key"] == "race-100"
