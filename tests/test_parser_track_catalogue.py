"""The track catalogue parser against the real catalogue page (track-catalogue.html, 1090 rows)."""

from __future__ import annotations

import pytest

from mre_crawler.errors import WrongPageType
from mre_crawler.parsers import track_catalogue

pytestmark = pytest.mark.liverc
FILE = "track-catalogue.html"


@pytest.fixture(scope="module")
def catalogue(liverc):
    page = liverc[FILE]
    return track_catalogue.parse(page.body, page.url)


def _by_slug(result):
    return {listing.slug: listing for listing in result.items}


def test_every_track_row_becomes_a_listing_without_problems(catalogue):
    assert len(catalogue.items) == 1090
    assert catalogue.problems == []
    assert len(_by_slug(catalogue)) == 1090  # slugs are unique


def test_mixed_case_slug_is_folded_to_lower_case_and_kept_raw(catalogue):
    listing = _by_slug(catalogue)["fastandfuntoyandhobby"]
    assert listing.slug_raw == "FastandFunToyandHobby"
    assert listing.row_url == "https://FastandFunToyandHobby.liverc.com/results/"


@pytest.mark.parametrize(
    ("slug", "name"),
    [
        ("bayrc", "BBRCC Off-Road"),  # the slug is not derived from the name
        ("tracktimehobbies", "Finishline RC Bakersfield"),
        ("canberraoffroad", "Canberra Off Road Model Car Club"),
    ],
)
def test_name_is_the_link_text_without_the_hidden_sort_span(catalogue, slug, name):
    assert _by_slug(catalogue)[slug].name == name
    assert not any(listing.name.startswith("seRC") for listing in catalogue.items)


def test_latest_event_name_is_read_and_may_be_absent(catalogue):
    assert _by_slug(catalogue)["canberraoffroad"].latest_event_name == "Cormcc 2025 Rudi Wensing Memorial, Clay Cup"
    assert sum(listing.latest_event_name is None for listing in catalogue.items) == 41


def test_chinese_and_korean_event_names_survive(catalogue):
    names = {listing.latest_event_name for listing in catalogue.items}
    assert "个人项目" in names
    assert "냉장고 털기 레이스!!" in names


def test_status_icons_become_status_words(catalogue):
    first = catalogue.items[0]  # raceplacerc: live video + racing, "1 minute ago"
    assert (first.slug, first.status, first.last_activity) == ("raceplacerc", ["live_video", "racing"], "1 minute ago")
    words = [tuple(listing.status) for listing in catalogue.items]
    assert words.count(("idle",)) == 950
    assert words.count(("idle", "featured")) == 10
    assert sum("open_practice" in w for w in words) == 107
    # The row link goes to /live/ exactly for the active tracks (FIELD-GUIDE §1: 126 of them).
    live_rows = [listing for listing in catalogue.items if listing.row_url.endswith("/live/")]
    assert len(live_rows) == 126


def test_a_row_without_a_track_link_is_skipped_with_one_problem(liverc):
    page = liverc[FILE]
    body = page.body.replace(b'href="//raceplacerc.liverc.com/"', b'href="/not-a-track/"', 1)
    result = track_catalogue.parse(body, page.url)
    assert len(result.items) == 1089
    assert "raceplacerc" not in _by_slug(result)
    [problem] = result.problems
    assert (problem.page_type, problem.field, problem.text) == ("track_catalogue", "track_listing[0].slug", "/not-a-track/")


def test_an_unknown_status_icon_is_reported_and_the_row_kept(liverc):
    page = liverc[FILE]
    # The legend above the table uses the same icons; the first row's icon is followed by a newline.
    body = page.body.replace(b'status_2"></i>\n', b'status_9"></i>\n', 1)
    result = track_catalogue.parse(body, page.url)
    assert len(result.items) == 1090
    assert result.items[0].status == ["live_video"]
    [problem] = result.problems
    assert (problem.field, problem.text) == ("track_listing[0].status", "status_9")


def test_non_pages_are_refused(not_a_page):
    with pytest.raises(WrongPageType):
        track_catalogue.parse(not_a_page, "https://live.liverc.com/")


def test_another_page_type_is_refused(liverc):
    page = liverc["track-dashboard-canberraoffroad.html"]
    with pytest.raises(WrongPageType) as raised:
        track_catalogue.parse(page.body, "https://live.liverc.com/")
    assert raised.value.found == "track_dashboard"
