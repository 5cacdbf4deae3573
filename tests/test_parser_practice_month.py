"""The practice month parser against practice-month-canberraoffroad-2025-10.html."""

from __future__ import annotations

import datetime as dt

import pytest

from mre_crawler.errors import WrongPageType
from mre_crawler.parsers import practice_month

pytestmark = pytest.mark.liverc
FILE = "practice-month-canberraoffroad-2025-10.html"


def _parse(liverc, body=None, url=None, meta=None):
    page = liverc[FILE]
    return practice_month.parse(page.body if body is None else body, url or page.url, meta)


def test_month_comes_from_the_caption(liverc):
    result = _parse(liverc)
    assert result.problems == []
    assert (result.item.track_slug, result.item.month) == ("canberraoffroad", "2025-10")


def test_available_months_are_every_option_newest_first(liverc):
    months = _parse(liverc).item.available_months
    assert len(months) == 88
    assert (months[0], months[-1]) == ("2026-01", "2017-09")
    assert "2025-12" not in months  # months without sessions are left out
    assert months == sorted(months, reverse=True)


def test_day_rows_with_links_and_session_counts(liverc):
    days = _parse(liverc).item.days
    assert [(d.date, d.session_count) for d in days] == [
        (dt.date(2025, 10, 25), 56),
        (dt.date(2025, 10, 12), 2),
        (dt.date(2025, 10, 11), 13),
    ]
    assert days[0].url == "https://canberraoffroad.liverc.com/practice/?p=session_list&d=2025-10-25"


def test_the_other_days_panel_is_ignored(liverc):
    # The right column shows the capture day (January 12, 2026); no date may come from it.
    item = _parse(liverc).item
    assert all(d.date.strftime("%Y-%m") == "2025-10" for d in item.days)
    assert item.month != "2026-01"


def test_a_month_other_than_requested_is_reported(liverc):
    result = _parse(liverc, url="https://canberraoffroad.liverc.com/practice/?p=calendar&d=2025-11")
    assert result.item.month == "2025-10"  # what the page shows
    [problem] = result.problems
    assert (problem.field, problem.text) == ("month", "2025-11")


def test_an_unreadable_session_count_is_one_problem_and_the_day_kept(liverc):
    body = liverc[FILE].body.replace(b">56</a>", b">5six</a>", 1)
    result = _parse(liverc, body)
    days = result.item.days
    assert [d.session_count for d in days] == [None, 2, 13]
    [problem] = result.problems
    assert (problem.page_type, problem.field, problem.text) == ("practice_month", "day[0].session_count", "5six")


def test_non_pages_are_refused(not_a_page):
    with pytest.raises(WrongPageType):
        practice_month.parse(not_a_page, "https://canberraoffroad.liverc.com/practice/?p=calendar&d=2025-10")


def test_another_page_type_is_refused(liverc):
    page = liverc["practice-day-overview-canberraoffroad-2025-10-25.html"]
    with pytest.raises(WrongPageType):
        practice_month.parse(page.body, "https://canberraoffroad.liverc.com/practice/?p=calendar&d=2025-10")
