"""A whole crawl replayed from a betamax cassette: no server at all.

The cassette is recorded in the test from a local replay of a generated site (never the
internet, never real LiveRC pages in the repository).
"""

from __future__ import annotations

import pytest

from mre_crawler.cassettes import record
from mre_crawler.samplesite import load_truth, read_manifest
from tests.fixtures_crawl import expected_counts, stored_counts, table_fingerprint

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def cassette(small_site, tmp_path_factory):
    from mre_crawler.serve import SiteServer

    path = tmp_path_factory.mktemp("cassettes") / "small-site.json"
    with SiteServer(small_site) as server:
        record([url for _f, url, _t in read_manifest(small_site)], path, site=server.site)
    return path


def test_a_crawl_over_a_cassette_stores_the_truth_and_a_replay_changes_nothing(small_site, cassette, crawl, pg_conn, tmp_path):
    slug = load_truth(small_site)["tracks"][0]["slug"]
    first = crawl("track", {"track": slug}, MRE_CASSETTE=str(cassette))
    assert first.stat("mre/replay/cassette_requests") > 0
    assert first.failures == []
    assert stored_counts(pg_conn) == expected_counts(small_site)
    before = table_fingerprint(pg_conn)

    again = crawl("track", {"track": slug}, MRE_CASSETTE=str(cassette), MRE_CACHE_ENABLED=0)
    assert again.rows_written == 0
    # Every page was fetched again and recognised as the stored one: nothing to write. Only the
    # pages the crawl routes by (dashboard, events list, event pages) were parsed.
    assert again.stat("mre/pages/unchanged") == first.pages_parsed
    assert again.pages_parsed == first.stat("mre/pages/parsed/track_dashboard") + first.stat(
        "mre/pages/parsed/track_events") + first.stat("mre/pages/parsed/event")
    assert table_fingerprint(pg_conn) == before


def test_pages_missing_from_the_cassette_are_reported_like_404s(small_site, cassette, crawl, pg_conn):
    first = crawl("event", {"url": "https://nosuch.liverc.com/results/?p=view_event&id=1"}, MRE_CASSETTE=str(cassette))
    assert first.failures == [("https://nosuch.liverc.com/results/?p=view_event&id=1", "HTTP 404")]
    assert first.nothing_stored and first.bad_input
