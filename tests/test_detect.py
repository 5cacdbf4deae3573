"""Page-type detection, and refusing pages that are not the expected type."""

from __future__ import annotations

import pytest

from mre_crawler.errors import PageError, WrongPageType
from mre_crawler.parsers import parse_page
from mre_crawler.parsers.base import html_tree
from mre_crawler.parsers.detect import check_not_error_page, detect_page_type, type_from_title

URL = "https://canberraoffroad.liverc.com/results/?p=view_race_result&id=6304829"


def test_every_saved_page_is_detected_from_its_content(liverc) -> None:
    for page in liverc.values():
        assert detect_page_type(page.body, None) == page.page_type, page.file


def test_every_saved_page_passes_the_check_for_its_own_type(liverc) -> None:
    for page in liverc.values():
        check_not_error_page(html_tree(page.body, page.url), page.page_type, page.url)


@pytest.mark.parametrize(
    ("file", "expected_type"),
    [
        ("event-486677.html", "race_result"),
        ("race-6304829.html", "event"),
        ("track-events-canberraoffroad.html", "event"),
        ("track-dashboard-canberraoffroad.html", "track_events"),
        ("practice-month-canberraoffroad-2025-10.html", "practice_day_overview"),
        ("entry-list-silverstate-2025-silver-state.html", "qual_points"),
    ],
)
def test_another_liverc_page_type_is_refused_and_named(liverc, file: str, expected_type: str) -> None:
    page = liverc[file]
    with pytest.raises(WrongPageType) as caught:
        check_not_error_page(html_tree(page.body, page.url), expected_type, page.url)
    assert caught.value.found == page.page_type
    assert caught.value.page_type == expected_type


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://canberraoffroad.liverc.com/results/?p=view_race_result&id=6304829", "race_result"),
        ("https://canberraoffroad.liverc.com/results/?p=view_event&id=486677", "event"),
        ("https://canberraoffroad.liverc.com/events/", "track_events"),
        ("https://canberraoffroad.liverc.com/", "track_dashboard"),
        ("https://live.liverc.com/", "track_catalogue"),
        ("https://canberraoffroad.liverc.com/practice/?p=session_list&d=2025-10-25", "practice_day_overview"),
    ],
)
def test_a_liverc_url_names_the_page_type_without_reading_the_page(url: str, expected: str) -> None:
    assert detect_page_type(b"", url) == expected


def test_a_liverc_page_type_without_a_parser_is_an_error() -> None:
    from mre_crawler.urls import _RESULTS_TYPES, PAGE_TYPES

    missing = [(p, t) for p, t in _RESULTS_TYPES.items() if t not in PAGE_TYPES]
    if not missing:
        pytest.skip("every LiveRC results page type MRE knows has a parser")
    p, page_type = missing[0]
    with pytest.raises(PageError, match=page_type):
        detect_page_type(b"<html></html>", f"https://x.liverc.com/results/?p={p}&id=1")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Canberra Off Road Model Car Club :: Broadcast and Results :: LiveRC", "track_dashboard"),
        ("  Canberra Off Road Model Car Club  ::  Archived Results :: LiveRC ", "track_events"),
        ("Silver State :: The 2025 Silver State :: Entry List :: LiveRC", "entry_list"),
        ("X :: Practice Sessions for October 2025 :: LiveRC", "practice_month"),
        ("X :: Practice Sessions on October 25, 2025 (Saturday) :: LiveRC", "practice_day_overview"),
        ("X :: Practice Session for Daniel Quinton on October 25, 2025 (Saturday) at 2:43:27pm :: LiveRC", "practice_session"),
        ("LiveRC :: Watch Live R/C Car Racing with Scoring and Video :: LiveRC", "track_catalogue"),
        ("Canberra Off Road Model Car Club :: Cormcc 2025 :: 1/8 Nitro Buggy A-Main :: LiveRC", None),
        ("", None),
    ],
)
def test_titles_name_page_types(title: str, expected: str | None) -> None:
    assert type_from_title(title) == expected


NOT_PAGES = [
    ("cloudflare_wait", b"<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>", "bot_check"),
    ("cloudflare_block", b"<html><head><title>Attention Required! | Cloudflare</title></head><body>blocked</body></html>", "bot_check"),
    ("captcha_widget", b"<html><head><title>Verify</title></head><body><div class='g-recaptcha' data-sitekey='x'></div></body></html>", "bot_check"),
    ("http_404", b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>", "error_page"),
    ("http_503", b"<html><head><title>503 Service Unavailable</title></head><body>down</body></html>", "error_page"),
    ("bare_502", b"<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>", "error_page"),
    ("whitespace", b"  \n\t ", "empty"),
    ("empty", b"", "empty"),
    ("empty_document", b"<html><body></body></html>", "empty"),
    (
        "liverc_no_results",
        b"<html><head><title>Some Track :: LiveRC</title></head><body><div class='page-breadcrumb'>"
        b"<h1 class='page-header'>Some Track</h1></div><p>No results found for this race.</p></body></html>",
        "empty",
    ),
]


@pytest.mark.parametrize(("name", "body", "found"), NOT_PAGES, ids=[n for n, _, _ in NOT_PAGES])
@pytest.mark.parametrize("page_type", ["race_result", "event", "track_events"])
def test_error_pages_bot_checks_and_empty_pages_are_refused(name: str, body: bytes, found: str, page_type: str) -> None:
    with pytest.raises(WrongPageType) as caught:
        parse_page(body, URL.replace("view_race_result", "view_event") if page_type == "event" else URL, page_type, {"track_slug": "canberraoffroad", "race_id": 1, "event_id": 1})
    assert caught.value.found == found
    assert caught.value.page_type == page_type


@pytest.mark.parametrize(("name", "body", "found"), [p for p in NOT_PAGES if p[2] != "empty" or p[0] != "liverc_no_results"], ids=[n for n, _, f in NOT_PAGES if f != "empty" or n != "liverc_no_results"])
def test_detection_refuses_pages_it_cannot_name(name: str, body: bytes, found: str) -> None:
    with pytest.raises(WrongPageType) as caught:
        detect_page_type(body, None)
    assert caught.value.found == found


def test_a_page_with_no_marker_at_all_is_unknown() -> None:
    with pytest.raises(WrongPageType) as caught:
        detect_page_type(b"<html><head><title>Hello</title></head><body><p>some text here</p></body></html>", "file:///tmp/x.html")
    assert caught.value.found == "unknown"


def test_a_recaptcha_script_alone_is_not_a_bot_check(liverc) -> None:
    # Every LiveRC page loads google.com/recaptcha/api.js for its login form.
    page = liverc["race-6304829.html"]
    assert b"recaptcha/api.js" in page.body
    check_not_error_page(page.body, "race_result", page.url)
