"""URL builders and readers for every LiveRC page type, and the --site rewrite."""

from __future__ import annotations

import datetime as dt

import pytest

from mre_crawler import urls
from mre_crawler.urls import BadURL, read_url

BUILT = [
    (urls.dashboard_url("canberraoffroad"), "track_dashboard", "canberraoffroad", None, None),
    (urls.events_url("canberraoffroad"), "track_events", "canberraoffroad", None, None),
    (urls.event_url("canberraoffroad", 486677), "event", "canberraoffroad", 486677, None),
    (urls.race_url("canberraoffroad", 6304829), "race_result", "canberraoffroad", 6304829, None),
    (urls.entry_list_url("silverstate", 12), "entry_list", "silverstate", 12, None),
    (urls.points_url("trc", 7070446), "qual_points", "trc", 7070446, None),
    (urls.heat_sheet_url("trc", 9811879), "heat_sheet", "trc", 9811879, None),
    (urls.round_ranking_url("trc", 1470838), "round_ranking", "trc", 1470838, None),
    (urls.overall_ranking_url("trc", 486677), "overall_ranking", "trc", 486677, None),
    (urls.multi_main_url("trc", 939156), "multi_main", "trc", 939156, None),
    (urls.practice_month_url("canberraoffroad", "2025-10"), "practice_month", "canberraoffroad", None, "2025-10"),
    (urls.practice_day_url("canberraoffroad", dt.date(2025, 10, 25)), "practice_day_overview", "canberraoffroad", None, "2025-10-25"),
    (urls.practice_session_url("canberraoffroad", 21289501), "practice_session", "canberraoffroad", 21289501, None),
]


@pytest.mark.parametrize(("url", "page_type", "slug", "id_", "day"), BUILT)
def test_every_built_url_reads_back_as_its_page_type_and_ids(url, page_type, slug, id_, day):
    page = read_url(url)
    assert (page.page_type, page.slug, page.id, page.day) == (page_type, slug, id_, day)


def test_manifest_urls_of_the_real_pages_read_as_their_manifest_type(liverc):
    for page in liverc.values():
        if "UNKNOWN" in page.url:  # the manifest could not recover these pages' host or id
            continue
        assert read_url(page.url).page_type == page.page_type, page.file


def test_mixed_case_slug_is_folded_to_lower_case():
    assert read_url("https://FastandFunToyandHobby.liverc.com/events/").slug == "fastandfuntoyandhobby"
    assert urls.dashboard_url("FastandFunToyandHobby") == "https://fastandfuntoyandhobby.liverc.com/"


@pytest.mark.parametrize(
    "bad",
    [
        "https://example.com/results/?p=view_event&id=1",
        "https://trc.liverc.com/results/?p=view_event",
        "https://trc.liverc.com/results/?p=view_event&id=abc",
        "https://trc.liverc.com/results/?p=nonsense&id=1",
        "https://trc.liverc.com/practice/?p=session_list&d=2025-13-40",
        "https://trc.liverc.com/somewhere/else",
        "https://live.liverc.com/tracks/",
    ],
)
def test_unknown_or_malformed_urls_are_refused_with_the_url_named(bad):
    with pytest.raises(BadURL, match="liverc|id|date|unknown|page"):
        read_url(bad)


def test_protocol_relative_and_relative_links_become_absolute():
    assert urls.absolute("//bayrc.liverc.com/", "x") == "https://bayrc.liverc.com/"
    assert urls.absolute("/results/?p=view_race_result&id=5", "trc") == "https://trc.liverc.com/results/?p=view_race_result&id=5"
    assert read_url("//bayrc.liverc.com/").page_type == "track_dashboard"


@pytest.mark.parametrize(
    ("url", "fetched"),
    [
        ("https://trc.liverc.com/results/?p=view_event&id=5", "http://127.0.0.1:8123/trc/results/?p=view_event&id=5"),
        ("https://live.liverc.com/", "http://127.0.0.1:8123/live/"),
        ("https://trc.liverc.com/", "http://127.0.0.1:8123/trc/"),
        ("https://trc.liverc.com/practice/?p=session_list&d=2025-10-25", "http://127.0.0.1:8123/trc/practice/?p=session_list&d=2025-10-25"),
    ],
)
def test_site_rewrite_fetches_liverc_urls_from_the_replay_server_and_back(url, fetched):
    site = "http://127.0.0.1:8123"
    assert urls.to_site(url, site) == fetched
    assert urls.from_site(fetched, site) == url
    assert urls.to_site(url, None) == url


def test_bad_slug_and_month_are_refused():
    with pytest.raises(BadURL):
        urls.dashboard_url("bad slug")
    with pytest.raises(BadURL):
        urls.practice_month_url("trc", "2025/10")
