"""The entry list parser against entry-list-silverstate-2025-silver-state.html (18 classes, 724 entries)."""

from __future__ import annotations

from collections import Counter

import pytest

from mre_crawler.errors import IncompletePage, WrongPageType
from mre_crawler.parsers import entry_list

pytestmark = pytest.mark.liverc
FILE = "entry-list-silverstate-2025-silver-state.html"
# The saved page's event id is not recoverable, so the crawler's meta is what carries one.
META = {"track_slug": "silverstate", "event_id": 123456}


def _parse(liverc, body=None, meta=META):
    page = liverc[FILE]
    return entry_list.parse(page.body if body is None else body, page.url, meta)


@pytest.fixture(scope="module")
def parsed(liverc):
    return _parse(liverc)


def test_classes_entries_and_event_totals(parsed):
    assert parsed.problems == []
    page = parsed.item
    assert (page.track_slug, page.event_id) == ("silverstate", 123456)
    assert len(page.classes) == 18
    assert len(page.entries) == 724
    assert (page.total_entries, page.total_drivers) == (724, 263)


def test_printed_class_counts_add_up_and_match_the_rows(parsed):
    page = parsed.item
    assert sum(page.classes.values()) == page.total_entries == 724
    assert Counter(entry.class_name for entry in page.entries) == Counter(page.classes)
    assert page.classes["40+ Electric Buggy"] == 30


def test_row_numbers_run_one_to_n_in_each_class(parsed):
    page = parsed.item
    for class_name, count in page.classes.items():
        numbers = [entry.row_number for entry in page.entries if entry.class_name == class_name]
        assert numbers == list(range(1, count + 1)), class_name


def test_unique_visible_names_equal_the_printed_driver_count(parsed):
    assert len({entry.display_name for entry in parsed.item.entries}) == 263


@pytest.mark.parametrize(
    ("class_name", "display", "sort", "transponder"),
    [
        ("40+ Electric Buggy", "RICHARD BRATTON", "BRATTON, RICHARD", "3326002"),
        ("Int. Electric Buggy", "SHANE O'CONNOR", "O'CONNOR, SHANE", "1068470"),
        ("Pro Electric Buggy", "RENO SAVOYA", "SAVOYA, RENO", "2222363/2"),  # transponder kept as text
    ],
)
def test_hidden_sort_name_and_visible_name_are_read_apart(parsed, class_name, display, sort, transponder):
    matches = [e for e in parsed.item.entries if e.class_name == class_name and e.display_name == display]
    assert [(e.sort_name, e.transponder) for e in matches] == [(sort, transponder)]
    assert not any(e.display_name.startswith(e.sort_name or "\0") for e in parsed.item.entries)


def test_without_an_event_id_the_unknown_url_id_is_a_problem(liverc):
    result = _parse(liverc, meta={"track_slug": "silverstate"})
    assert result.item.event_id is None
    [problem] = result.problems
    assert (problem.field, problem.text) == ("event_id", "UNKNOWN")


def test_an_unreadable_row_number_drops_that_row_only(liverc):
    # The first "<td>1</td>" is RICHARD BRATTON's row in the first class (40+ Electric Buggy).
    body = liverc[FILE].body.replace(b"<td>1</td>", b"<td>1a</td>", 1)
    result = _parse(liverc, body)
    page = result.item
    assert len(page.entries) == 723
    assert "RICHARD BRATTON" not in {e.display_name for e in page.entries if e.class_name == "40+ Electric Buggy"}
    assert page.classes["40+ Electric Buggy"] == 30  # the printed count is still what the page says
    [problem] = result.problems
    assert (problem.page_type, problem.field, problem.text) == ("entry_list", "class[40+ Electric Buggy].row_number", "1a")


def test_a_class_whose_rows_contradict_its_printed_count_is_not_whole(liverc):
    # 31 printed, 30 rows: a row is missing, so the page is not stored (it would mark one removed).
    body = liverc[FILE].body.replace(b"Entries: 30", b"Entries: 31", 1)
    with pytest.raises(IncompletePage, match="'40\\+ Electric Buggy' says Entries: 31, its table has 30 rows") as caught:
        _parse(liverc, body)
    assert caught.value.field == "class[40+ Electric Buggy].entries"


def test_event_stats_that_disagree_with_the_classes_are_only_reported(liverc):
    # Not a completeness rule: LCQ/semi tabs may count entries twice (FIELD-GUIDE §6).
    body = liverc[FILE].body.replace(b"Entries: 724", b"Entries: 725", 1)
    assert body != liverc[FILE].body
    result = _parse(liverc, body)
    assert len(result.item.entries) == 724
    assert [p.field for p in result.problems if p.field != "event_id"] == ["event_stats.entries"]


def test_non_pages_are_refused(not_a_page):
    with pytest.raises(WrongPageType):
        entry_list.parse(not_a_page, "https://silverstate.liverc.com/results/?p=view_entry_list&id=1")


def test_another_page_type_is_refused(liverc):
    page = liverc["race-6304829.html"]
    with pytest.raises(WrongPageType) as raised:
        entry_list.parse(page.body, "https://silverstate.liverc.com/results/?p=view_entry_list&id=1")
    assert raised.value.found == "race_result"
