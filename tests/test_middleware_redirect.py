"""The same-page redirect rule, Location read back from the replay server's forms, and the
download handler's refusal of every host but LiveRC and the --site server (issue 9)."""

from __future__ import annotations

import pytest
from scrapy.http import Request

from mre_crawler.middlewares.redirect import SamePageRedirects, requested_url, same_page

RACE = "https://bayrc.liverc.com/results/?p=view_race_result&id=6304829"
SITE = "http://127.0.0.1:8123"


@pytest.mark.parametrize(
    ("target", "same"),
    [
        (RACE, True),
        ("http://bayrc.liverc.com/results/?p=view_race_result&id=6304829", True),  # http
        ("https://bayrc.liverc.com/results?p=view_race_result&id=6304829", True),  # no trailing slash
        ("https://bayrc.liverc.com/results/?id=6304829&p=view_race_result", True),  # query reordered
        ("https://BayRC.liverc.com/results/?p=view_race_result&id=6304829", True),  # host case
        ("https://bayrc.liverc.com/results/?p=view_race_result&id=6304830", False),  # another race
        ("https://trc.liverc.com/results/?p=view_race_result&id=6304829", False),  # another track
        ("https://bayrc.liverc.com/results/?p=view_event&id=6304829", False),  # another page type
        ("https://bayrc.liverc.com/", False),
        ("https://bayrc.liverc.com.evil.example/results/?p=view_race_result&id=6304829", False),
        ("http://offsite.invalid/page", False),
    ],
)
def test_only_the_same_liverc_page_counts_as_the_same_page(target, same) -> None:
    assert same_page(RACE, target) is same


def test_robots_txt_may_only_move_on_its_own_host() -> None:
    robots = "https://bayrc.liverc.com/robots.txt"
    assert same_page(robots, "http://bayrc.liverc.com/robots.txt")
    assert not same_page(robots, "https://offsite.invalid/robots.txt")


class _Redirects(SamePageRedirects):
    def __init__(self, site):
        self.site = site


@pytest.mark.parametrize(
    ("site", "location", "target"),
    [
        (SITE, "/bayrc/results/?p=view_race_result&id=2", "https://bayrc.liverc.com/results/?p=view_race_result&id=2"),
        (SITE, f"{SITE}/trc/results/?p=view_event&id=9", "https://trc.liverc.com/results/?p=view_event&id=9"),
        (SITE, "https://trc.liverc.com/", "https://trc.liverc.com/"),
        (SITE, "//trc.liverc.com/events/", "https://trc.liverc.com/events/"),
        (SITE, "http://offsite.invalid/page", "http://offsite.invalid/page"),
        (None, "/results/?p=view_race_result&id=2", "https://bayrc.liverc.com/results/?p=view_race_result&id=2"),
        (None, "http://offsite.invalid/page", "http://offsite.invalid/page"),
    ],
)
def test_a_location_is_read_as_the_liverc_url_it_stands_for(site, location, target) -> None:
    assert _Redirects(site).target_url(Request(RACE), location) == target


def test_the_requested_url_is_the_one_before_any_redirect() -> None:
    assert requested_url(Request(RACE)) == RACE
    followed = Request("http://bayrc.liverc.com/results/?id=6304829&p=view_race_result", meta={"redirect_urls": [RACE]})
    assert requested_url(followed) == RACE


@pytest.mark.db
def test_an_offsite_link_on_a_page_is_never_fetched(site_copy, serve, crawl) -> None:
    # The event parser keeps an absolute href as it is (urls.absolute), so an event page that
    # linked its points page on another host would send the crawl there; the handler refuses it.
    from mre_crawler.samplesite import load_truth, read_manifest

    slug = load_truth(site_copy)["tracks"][0]["slug"]
    event_file = next(site_copy / f for f, _u, t in read_manifest(site_copy) if t == "event")
    body = event_file.read_bytes()
    at = body.index(b"<tbody>", body.index(b"entry_list_data")) + len(b"<tbody>")
    link = b'<tr><td><a href="http://offsite.invalid/results/?p=view_points&amp;id=777">Results</a></td></tr>'
    event_file.write_bytes(body[:at] + link + body[at:])
    server = serve(site_copy)

    result = crawl("track", {"track": slug}, MRE_SITE=server.site)

    offsite = "http://offsite.invalid/results/?p=view_points&id=777"
    assert result.failures == [(offsite, f"not a LiveRC host: {offsite}")]
    assert result.stat("mre/offsite/refused") == 2  # its robots.txt, then the page
    assert all(r.path.startswith(f"/{slug}/") for r in server.log)
