"""The track dashboard parser against the two saved dashboards (canberraoffroad, bayrc)."""

from __future__ import annotations

import pytest

from mre_crawler.errors import WrongPageType
from mre_crawler.parsers import track_dashboard

pytestmark = pytest.mark.liverc
CANBERRA = "track-dashboard-canberraoffroad.html"
BAYRC = "track-dashboard-bayrc.html"


def _parse(liverc, file, body=None, meta=None):
    page = liverc[file]
    return track_dashboard.parse(page.body if body is None else body, page.url, meta)


EXPECTED = {
    CANBERRA: dict(
        slug="canberraoffroad",
        name="Canberra Off Road Model Car Club",
        address_name="Canberra Off Road Model Car Club",
        address_lines=["Kyeema Street", "Narrabundah 02604", "Australia"],
        city="Narrabundah",
        region=None,
        postcode="02604",
        country="Australia",
        country_code="AU",
        phone=None,  # printed "N/A"
        website="http://www.cormcc.org",
        email="info@cormcc.org",
        facebook=None,
        live_status="Track is Offline",
        results_this_month=30,
        sessions_this_month=1,
        lifetime_laps=230_327,
        lifetime_practice_sessions=8_405,
        lifetime_races=1_894,
        lifetime_entries=3_132,
        lifetime_events=102,
    ),
    BAYRC: dict(
        slug="bayrc",
        name="BBRCC Off-Road",
        address_lines=["Hanging Rock Complex", "Batemans Bay A2536", "Australia"],
        city="Batemans Bay",
        postcode="A2536",
        country="Australia",
        country_code="AU",
        phone="+61 403 594 396",
        website="http://www.bayrc.com.au",
        email="batemansbayrc@gmail.com",
        facebook="https://www.facebook.com/groups/113916535392934/",
        sessions_this_month=43,
        lifetime_laps=98_387,
        lifetime_events=54,
    ),
}


@pytest.mark.parametrize("file", sorted(EXPECTED))
def test_dashboard_fields_match_the_page(liverc, file):
    result = _parse(liverc, file)
    assert result.problems == []
    track = result.item
    for field, value in EXPECTED[file].items():
        assert getattr(track, field) == value, field


def test_slug_from_meta_wins_over_the_url_host(liverc):
    track = _parse(liverc, BAYRC, meta={"track_slug": "BayRC"}).item
    assert track.slug == "bayrc"


@pytest.mark.parametrize(
    ("city_line", "city", "region", "postcode"),
    [
        ("Lucama, NC 27851", "Lucama", "NC", "27851"),  # a US dashboard (FIELD-GUIDE §2)
        ("Ottawa, ON K1A 0B1", "Ottawa", "ON", "K1A 0B1"),
        ("Batemans Bay A2536", "Batemans Bay", None, "A2536"),
    ],
)
def test_city_line_forms_are_split(liverc, city_line, city, region, postcode):
    body = liverc[CANBERRA].body.replace(b"Narrabundah 02604", city_line.encode(), 1)
    result = _parse(liverc, CANBERRA, body)
    assert result.problems == []
    assert (result.item.city, result.item.region, result.item.postcode) == (city, region, postcode)


def test_an_unreadable_lifetime_stat_is_one_problem_and_the_rest_kept(liverc):
    body = liverc[CANBERRA].body.replace(b"230,327", b"230,32x", 1)
    result = _parse(liverc, CANBERRA, body)
    track = result.item
    assert track.lifetime_laps is None
    assert (track.lifetime_events, track.lifetime_entries, track.email) == (102, 3_132, "info@cormcc.org")
    [problem] = result.problems
    assert (problem.page_type, problem.field, problem.text) == ("track_dashboard", "track.lifetime_laps", "230,32x")


def test_an_unsplittable_city_line_keeps_the_raw_line(liverc):
    body = liverc[CANBERRA].body.replace(b"Narrabundah 02604", b"Narrabundah", 1)
    result = _parse(liverc, CANBERRA, body)
    assert result.item.address_lines == ["Kyeema Street", "Narrabundah", "Australia"]
    assert result.item.city is None and result.item.country == "Australia"
    [problem] = result.problems
    assert (problem.field, problem.text) == ("track.city", "Narrabundah")


def test_non_pages_are_refused(not_a_page):
    with pytest.raises(WrongPageType):
        track_dashboard.parse(not_a_page, "https://canberraoffroad.liverc.com/")


def test_another_page_type_is_refused(liverc):
    page = liverc["event-486677.html"]
    with pytest.raises(WrongPageType):
        track_dashboard.parse(page.body, "https://canberraoffroad.liverc.com/")
