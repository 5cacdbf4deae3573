"""The race parser's quick paths give exactly what its reporting paths give.

Each column of the results table is read by one pattern over the whole column plus a quick
converter, and racerLaps laps by one comprehension; a column or driver that does not fit falls back
to the shared readers in ``parsers.common``, which record a problem per bad value. These tests
run both ways over the saved LiveRC pages and generated pages of several seeds and require the
same items, and check that a cell holding a line break is reported, not a crash.
"""

from __future__ import annotations

import re

import pytest

from mre_crawler.errors import IncompletePage
from mre_crawler.parsers import common, race_result
from mre_crawler.samplesite import SiteParams, iter_track

REAL_RACES = ("race-6304829.html", "race-6304830.html")
SEEDS = (1, 7, 2024)
_NEVER = re.compile(r"(?!)")  # a column pattern nothing matches: every cell takes the slow path


def _generated_races(seed: int) -> list[tuple[str, bytes, dict]]:
    params = SiteParams(tracks=1, events=2, seed=seed, practice_days=0, classes_per_event=(1, 2), drivers_per_class=(6, 20))
    return [(p.url, p.html().encode("utf-8"), p.meta) for p in iter_track(params, 0) if p.page_type == "race_result"]


@pytest.fixture(scope="module")
def race_pages(liverc) -> list[tuple[str, bytes, dict]]:
    pages = [(liverc[name].url, liverc[name].body, {"event_id": 486677}) for name in REAL_RACES]
    for seed in SEEDS:
        pages += _generated_races(seed)
    return pages


def _slow_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every column read cell by cell through ``common``; every driver's laps one by one, from
    racerLaps decoded into dicts."""
    for name in ("_SECONDS_COLUMN", "_INT_COLUMN", "_LAPS_TIME_COLUMN", "_BEHIND_COLUMN", "_PERCENT_COLUMN"):
        monkeypatch.setattr(race_result, name, _NEVER)

    def no_quick_laps(laps: list) -> list:
        raise ValueError("quick path switched off")

    monkeypatch.setattr(race_result, "_quick_laps", no_quick_laps)
    monkeypatch.setattr(race_result, "read_served_blocks", lambda codes: None)
    monkeypatch.setattr(race_result, "_PLAIN_DECIMAL", _NEVER)
    monkeypatch.setattr(race_result, "SMALL_INTS", {})


def test_quick_paths_and_reporting_paths_read_every_page_alike(race_pages, monkeypatch) -> None:
    assert len(race_pages) > 20
    quick = [race_result.parse(body, url, meta) for url, body, meta in race_pages]
    _slow_everywhere(monkeypatch)
    slow = [race_result.parse(body, url, meta) for url, body, meta in race_pages]
    for (url, _, _), q, s in zip(race_pages, quick, slow):
        assert q.items == s.items, url
        assert q.problems == s.problems == [], url


def _column_cells(body: bytes, url: str, column: str) -> list[str]:
    tree = race_result.load_plain_page(body, url, race_result.PAGE_TYPE)
    table = race_result.find_marker(tree, race_result.PAGE_TYPE)
    index = race_result._column_index(race_result.ParseContext(race_result.PAGE_TYPE, url), table)[column]
    return [race_result._cell_text(tr.findall("td")[index]).strip() for tr in race_result._ROWS_IN_BODY(table)]


@pytest.mark.parametrize(
    ("column", "quick", "reader"),
    [
        ("laps_time", race_result._quick_laps_time, common.parse_laps_time),
        ("behind", race_result._quick_behind, common.parse_behind),
        ("consistency", race_result._quick_percent, common.parse_percent),
    ],
)
def test_quick_converters_equal_the_shared_readers_cell_by_cell(race_pages, column, quick, reader) -> None:
    seen = 0
    for url, body, _ in race_pages:
        for text in _column_cells(body, url, column):
            if text:
                assert quick(text) == reader(text), (url, text)
                seen += 1
    assert seen > 100


@pytest.mark.parametrize(
    ("original", "broken", "field", "text"),
    [
        # A cell with a line break inside: joined with the other cells of its column, its two
        # halves would look like two good cells (the hidden key once made float() raise).
        (b'<div class="hidden">111.828</div>1:51.828', b'<div class="hidden">111.8\n28</div>1:51.828', "race_result.row[1].top3_consecutive", "111.8\n28"),
        (b"<td>12.052</td>", b"<td>12.0\n52</td>", "race_result.row[2].behind", "12.0\n52"),
        (b"<td>92.82%</td>", b"<td>9%\n2.82%</td>", "race_result.row[1].consistency", "9%\n2.82%"),
    ],
)
def test_a_line_break_inside_a_cell_is_a_problem_not_a_crash(liverc, original, broken, field, text) -> None:
    page = liverc[REAL_RACES[0]]
    assert page.body.count(original) == 1
    result = race_result.parse(page.body.replace(original, broken), page.url, {"event_id": 486677})
    assert len(result.item.results) == 12
    assert [(p.field, p.text) for p in result.problems] == [(field, text)]


def test_small_int_table_matches_int() -> None:
    assert all(race_result.SMALL_INTS[str(i)] == i for i in range(1000))
    assert race_result.SMALL_INTS.get("1000") is None and race_result.SMALL_INTS.get(" 1") is None


def test_the_cut_out_parts_give_the_same_items_and_problems_as_the_whole_page(race_pages, monkeypatch) -> None:
    # the real and generated pages all take the cut-out path ...
    assert all(race_result._cut_out(body) is not None for _, body, _ in race_pages)
    cut = [race_result.parse(body, url, meta) for url, body, meta in race_pages]
    monkeypatch.setattr(race_result, "FRAGMENT_PATH", False)
    whole = [race_result.parse(body, url, meta) for url, body, meta in race_pages]
    for (url, _, _), c, w in zip(race_pages, cut, whole):
        assert c.items == w.items, url
        assert c.problems == w.problems, url


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ((b'<div class="panel-heading">', b'<div class="panel-heading"><div>'), "a div inside the caption"),
        ((b'<table class="table table-striped race_result"', b'<table class="race_result table"'), "another table class"),
        ((b"</body>", b"<script>racerLaps[1] = {};</script></body>"), "lap data after the table"),
    ],
)
def test_a_page_whose_parts_are_not_where_liverc_puts_them_is_parsed_whole(liverc, change, why) -> None:
    page = liverc[REAL_RACES[0]]
    body = page.body.replace(*change, 1)
    assert body != page.body
    assert race_result._cut_out(body) is None, why
    if b"racerLaps[1]" in body:
        # The whole page is read, and its 13th racerLaps driver has no row: not a whole page.
        with pytest.raises(IncompletePage, match="racerLaps lists 13 drivers, the results table has 12 rows"):
            race_result.parse(body, page.url, {"event_id": 486677})
        return
    result = race_result.parse(body, page.url, {"event_id": 486677})
    assert len(result.item.results) == 12, why
