"""HTTP cache: expiry per page type, keyed by the LiveRC URL, and invalidation."""

from __future__ import annotations

import pytest
from scrapy.http import Headers

from mre_crawler.config import CrawlConfig
from mre_crawler.middlewares.cache import cache_key, cached_sha256, invalidate, open_cache, store, ttl_for

TTL = CrawlConfig.from_settings({"MRE_HOME": "/tmp/x"}).cache_ttl
B = "https://canberraoffroad.liverc.com"
H = 3600


@pytest.mark.parametrize(
    ("url", "finished", "seconds"),
    [
        (f"{B}/practice/?p=calendar&d=2025-10", None, 24 * H),
        (f"{B}/practice/?p=session_list&d=2025-10-25", None, H),
        (f"{B}/practice/?p=view_session&id=21289501", None, 15 * 60),
        (f"{B}/", None, H),
        (f"{B}/events/", None, H),
        (f"{B}/results/?p=view_event&id=486677", True, H),  # an event page can still change
        (f"{B}/results/?p=view_race_result&id=6304829", True, 30 * 24 * H),
        (f"{B}/results/?p=view_entry_list&id=486677", True, 30 * 24 * H),
        (f"{B}/results/?p=view_race_result&id=6304829", False, 600),  # event still running
        (f"{B}/results/?p=view_race_result&id=6304829", None, 600),
        (f"{B}/robots.txt", None, 0),
    ],
)
def test_expiry_follows_the_page_type(url, finished, seconds):
    assert ttl_for(url, finished, TTL) == seconds


def test_cache_key_is_the_canonical_liverc_url():
    assert cache_key(f"{B}/results/?p=view_event&id=486677") == cache_key(f"{B}/results/?id=486677&p=view_event")


def test_invalidate_drops_exactly_the_named_pages(tmp_path):
    db = open_cache(tmp_path / "pages.sqlite")
    race, event = f"{B}/results/?p=view_race_result&id=1", f"{B}/results/?p=view_event&id=2"
    store(db, race, 200, Headers({"Content-Type": "text/html"}), b"race")
    store(db, event, 200, Headers({}), b"event")
    db.close()
    assert invalidate(tmp_path, [race, f"{B}/results/?p=view_race_result&id=999"]) == 1
    db = open_cache(tmp_path / "pages.sqlite")
    assert cached_sha256(db, race) is None and cached_sha256(db, event) is not None
