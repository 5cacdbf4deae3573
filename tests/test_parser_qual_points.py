"""The qual points parser against qual-points-psycho-nitro-blast-2026.html (13 classes, 721 rows)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from mre_crawler.errors import WrongPageType
from mre_crawler.parsers import qual_points

pytestmark = pytest.mark.liverc
FILE = "qual-points-psycho-nitro-blast-2026.html"
META = {"track_slug": "psycho", "event_id": 500001, "points_id": 7070446}


def _parse(liverc, body=None, meta=META):
    page = liverc[FILE]
    return qual_points.parse(page.body if body is None else body, page.url, meta)


@pytest.fixture(scope="module")
def table(liverc):
    result = _parse(liverc)
    assert result.problems == []
    return result.item


def _unflagged(text):
    return re.sub(r"\s*\((DNS|DNF)\)", "", text)


def _row(table, class_name, driver):
    [row] = [r for r in table.rows if r.class_name == class_name and r.driver_name == driver]
    return row


def test_caption_rule_and_row_count(table):
    assert (table.track_slug, table.event_id, table.points_id) == ("psycho", 500001, 7070446)
    assert table.caption == "Qual Points (best 1 of 2)"
    assert table.tie_breaker_rule == "Best Throwout Then Best Result (Used)"
    assert len(table.rows) == 721
    assert len({r.class_name for r in table.rows}) == 13


def test_exactly_one_round_counts_and_it_is_the_result(table):
    # "best 1 of 2": the bold round is the one whose points make the Result column.
    for row in table.rows:
        [counted] = [r for r in row.rounds if r.counted]
        assert counted.points == row.result_points, (row.class_name, row.driver_name)


def test_positions_count_up_per_class_and_share_a_place_only_on_a_full_tie(table):
    # Drivers who ran no lap in either round share a place (40+ Nitro Buggy has three at 35th).
    ties = 0
    for class_name in dict.fromkeys(r.class_name for r in table.rows):
        rows = [r for r in table.rows if r.class_name == class_name]
        assert rows[0].position == 1
        for index, (before, row) in enumerate(zip(rows, rows[1:]), start=2):
            if row.position == before.position:
                ties += 1
                # Same points and same tie-break figures (one may say DNS where the other says DNF).
                assert row.result_points == before.result_points
                assert _unflagged(row.tie_breaker_raw) == _unflagged(before.tie_breaker_raw)
            else:
                assert row.position == index, (class_name, row.driver_name)
    assert ties == 8


@pytest.mark.parametrize(
    ("class_name", "driver", "round_number", "expected"),
    [
        # points, laps, total seconds, flag, counted
        ("40+ Electric Buggy", "JASON SCHREFFLER", 2, (0, 8, 320.955, None, True)),
        ("40+ Electric Buggy", "BRANDON SHELLS", 1, (51, 1, 56.135, "DNF", False)),  # no minutes part
        ("40+ Electric Buggy", "ADAM RUSSELL", 2, (52, 0, 0.0, "DNF", False)),  # 0/0.000 (DNF)
        ("40+ Electric Buggy", "JUSTIN SIMONSON", 1, (52, 0, 0.0, "DNS", False)),
        ("40+ Electric Buggy", "ALEX LANDING", 2, (47, 5, 232.857, "DNF", False)),
    ],
)
def test_round_cells_are_read(table, class_name, driver, round_number, expected):
    [cell] = [r for r in _row(table, class_name, driver).rounds if r.round_number == round_number]
    assert (cell.points, cell.laps, cell.total_time, cell.flag, cell.counted) == expected


def test_flags_and_tie_breaker_text(table):
    flags = Counter(cell.flag for row in table.rows for cell in row.rounds)
    assert flags == Counter({None: 1256, "DNF": 124, "DNS": 62})
    assert _row(table, "40+ Electric Buggy", "JASON SCHREFFLER").tie_breaker_raw == "[2] 8/5:20.955 (2)"


def test_names_with_digits_are_kept_whole(table):
    names = {r.driver_name for r in table.rows}
    assert {"PHILO 5 HATCH", "BOB WALKER 3RD", "LARRY WRIGHT IV"} <= names


def test_an_unreadable_round_cell_is_one_problem_and_the_row_kept(liverc):
    body = liverc[FILE].body.replace(b"51 : 1/56.135 (DNF)", b"51 : 1/5x.135 (DNF)", 1)
    result = _parse(liverc, body)
    assert len(result.item.rows) == 721
    row = _row(result.item, "40+ Electric Buggy", "BRANDON SHELLS")
    assert row.result_points == 15
    bad = row.rounds[0]
    assert (bad.round_number, bad.points, bad.laps, bad.total_time, bad.counted) == (1, None, None, None, False)
    [problem] = result.problems
    assert problem.page_type == "qual_points"
    assert problem.field == "class[40+ Electric Buggy][19].round_1"
    assert problem.text == "51 : 1/5x.135 (DNF)"


def test_the_unknown_url_id_is_a_problem_without_meta(liverc):
    result = _parse(liverc, meta=None)
    assert (result.item.track_slug, result.item.points_id, result.item.event_id) == ("unknown", None, None)
    [problem] = result.problems
    assert (problem.field, problem.text) == ("points_id", "UNKNOWN")


def test_non_pages_are_refused(not_a_page):
    with pytest.raises(WrongPageType):
        qual_points.parse(not_a_page, "https://psycho.liverc.com/results/?p=view_points&id=1")


def test_another_page_type_is_refused(liverc):
    page = liverc["entry-list-silverstate-2025-silver-state.html"]
    with pytest.raises(WrongPageType) as raised:
        qual_points.parse(page.body, "https://psycho.liverc.com/results/?p=view_points&id=1")
    assert raised.value.found == "entry_list"
