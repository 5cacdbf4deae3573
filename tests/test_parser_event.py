"""Event pages: races in schedule order, links and the Event Stats panel, read off event-486677."""

from __future__ import annotations

import datetime as dt

import pytest

from mre_crawler.errors import PageError
from mre_crawler.parsers import event

EVENT = "event-486677.html"


@pytest.fixture(scope="module")
def parsed(liverc):
    page = liverc[EVENT]
    return event.parse(page.body, page.url)


def test_event_header_and_stats(parsed) -> None:
    e = parsed.item
    assert parsed.problems == []
    assert (e.track_slug, e.event_id) == ("canberraoffroad", 486677)
    assert e.name == "Cormcc 2025 Rudi Wensing Memorial, Clay Cup"
    assert e.track_name == "Canberra Off Road Model Car Club"
    assert (e.date_start, e.date_end) == (dt.date(2025, 11, 16), dt.date(2025, 11, 16))
    assert (e.race_track, e.entries, e.drivers, e.total_race_laps) == ("Offroad", 71, 60, 4129)


def test_races_in_four_sections(parsed) -> None:
    races = parsed.item.races
    assert len(races) == 32
    counts = {}
    for r in races:
        counts[r.round_name] = counts.get(r.round_name, 0) + 1
    assert counts == {"Main Events": 14, "Qualifier Round 3": 6, "Qualifier Round 2": 6, "Qualifier Round 1": 6}
    assert len({r.race_id for r in races}) == 32


def test_the_nitro_a_main(parsed) -> None:
    a_main = next(r for r in parsed.item.races if r.race_id == 6304829)
    assert (a_main.race_number, a_main.class_name, a_main.race_name) == (14, "1/8 Nitro Buggy", "1/8 Nitro Buggy A-Main")
    assert a_main.race_label_raw == "Race 14: 1/8 Nitro Buggy (1/8 Nitro Buggy A-Main)"
    assert a_main.completed_local == dt.datetime(2025, 11, 16, 17, 30)
    assert a_main.schedule_index == 31  # the last race run
    assert (a_main.heat_number, a_main.heat_count) == (None, None)


def test_triple_mains(parsed) -> None:
    names = {r.race_name for r in parsed.item.races if r.class_name == "1/8 Electric Buggy" and r.round_name == "Main Events"}
    assert names == {f"1/8 Electric Buggy {m}{k}-Main" for m in "ABC" for k in (1, 2, 3)}


def test_heat_names_with_nested_parentheses(parsed) -> None:
    heat = next(r for r in parsed.item.races if r.race_id == 6297913)
    assert heat.race_label_raw == "Race 6: 1/8 Nitro Buggy (1/8 Nitro Buggy  (Heat 3/3))"
    assert (heat.round_name, heat.race_number, heat.class_name) == ("Qualifier Round 3", 6, "1/8 Nitro Buggy")
    assert heat.race_name == "1/8 Nitro Buggy (Heat 3/3)"
    assert (heat.heat_number, heat.heat_count) == (3, 3)
    assert all(r.heat_count == 3 for r in parsed.item.races if r.round_name.startswith("Qualifier"))


def test_schedule_index_runs_from_the_first_race_to_the_last(parsed) -> None:
    ordered = sorted(parsed.item.races, key=lambda r: r.schedule_index)
    assert [r.schedule_index for r in ordered] == list(range(32))
    first = ordered[0]
    assert (first.round_name, first.race_number, first.completed_local) == ("Qualifier Round 1", 1, dt.datetime(2025, 11, 16, 8, 22))
    times = [r.completed_local for r in ordered]
    assert times == sorted(times)
    rounds = [r.round_name for r in ordered]
    assert rounds == ["Qualifier Round 1"] * 6 + ["Qualifier Round 2"] * 6 + ["Qualifier Round 3"] * 6 + ["Main Events"] * 14


def test_schedule_ties_break_by_round_then_race_number(liverc) -> None:
    page = liverc[EVENT]
    # Give every race the same completion time: the order must fall back to round, then number.
    import re

    body = re.sub(rb"<td>Nov 16, 2025 at [0-9:]+[ap]m</td>", b"<td>Nov 16, 2025 at 9:00am</td>", page.body)
    ordered = sorted(event.parse(body, page.url).item.races, key=lambda r: r.schedule_index)
    assert [(r.round_name, r.race_number) for r in ordered[:3]] == [("Qualifier Round 1", 1), ("Qualifier Round 1", 2), ("Qualifier Round 1", 3)]
    assert (ordered[-1].round_name, ordered[-1].race_number) == ("Main Events", 14)


def test_links_to_other_results_pages(parsed) -> None:
    by_kind: dict[str, list] = {}
    for link in parsed.item.links:
        by_kind.setdefault(link.kind, []).append(link)
    assert {k: len(v) for k, v in by_kind.items()} == {
        "entry_list": 1,
        "heat_sheet": 4,
        "overall_ranking": 1,
        "points": 1,
        "round_ranking": 3,
        "multi_main": 3,
    }
    assert by_kind["entry_list"][0].url == "https://canberraoffroad.liverc.com/results/?p=view_entry_list&id=486677"
    assert by_kind["points"][0].target_id == 7070446 and by_kind["points"][0].label == "Results (1 of 3)"
    assert [link.target_id for link in by_kind["multi_main"]] == [939156, 939133, 939123]
    assert all(link.url.startswith("https://canberraoffroad.liverc.com/results/?p=") for link in parsed.item.links)


def test_one_corrupted_race_row_keeps_the_others(liverc) -> None:
    page = liverc[EVENT]
    body = page.body.replace(b"<td>Nov 16, 2025 at 5:30pm</td>", b"<td>Nov 16, 2025 at 25:30pm</td>")
    result = event.parse(body, page.url)
    assert len(result.item.races) == 32
    assert [(p.field, p.text) for p in result.problems] == [("event.races.row[3].completed", "Nov 16, 2025 at 25:30pm")]
    a_main = next(r for r in result.item.races if r.race_id == 6304829)
    assert a_main.completed_local is None and a_main.schedule_index == 31


def test_a_race_row_without_a_link_is_skipped_and_reported(liverc) -> None:
    page = liverc[EVENT]
    body = page.body.replace(b'<a href="/results/?p=view_race_result&id=6304829" class="block">', b"<a>", 1)
    result = event.parse(body, page.url)
    assert len(result.item.races) == 31
    assert [p.field for p in result.problems] == ["event.races.row[3]"]


def test_an_event_page_without_the_race_results_table_is_a_page_error(liverc) -> None:
    page = liverc[EVENT]
    with pytest.raises(PageError):
        event.parse(page.body.replace(b">Race Results<", b">Something Else<"), page.url)


def test_an_event_id_is_required(liverc) -> None:
    with pytest.raises(PageError, match="event_id"):
        event.parse(liverc[EVENT].body, "file:///tmp/e.html", {"track_slug": "canberraoffroad"})
