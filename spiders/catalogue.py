"""``catalogue``: every track listed at https://live.liverc.com/.

``scrapy crawl catalogue [-a follow=1] [-a tracks=slug1,slug2] [-a limit=N]``: with ``follow``
each listed track's dashboard is fetched too (all of them unless ``tracks`` or ``limit`` narrows
it; 1,090 tracks in Dec 2025, so the daily budget and rate ceiling matter here).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from mre_crawler.urls import CATALOGUE_URL, check_slug, dashboard_url
from spiders.base import LiveRCSpider


class CatalogueSpider(LiveRCSpider):
    name = "catalogue"

    def __init__(self, follow: str = "0", tracks: str = "", limit: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        self.follow = str(follow).lower() in ("1", "yes", "true")
        self.only = {check_slug(s.strip()) for s in tracks.split(",") if s.strip()}
        if limit and not str(limit).isdigit():
            raise ValueError(f"-a limit= must be a number, not {limit!r}")
        self.limit = int(limit) if limit else None

    async def start(self):
        # What to follow travels with the request: a shared-crawl worker (spiders/worker.py),
        # which has no catalogue arguments of its own, reads it from there.
        yield self.page_request(CATALOGUE_URL, self.parse_catalogue, "track_catalogue",
                                mre_catalogue=(self.follow, sorted(self.only), self.limit))

    def parse_catalogue(self, response: Response) -> Iterator[Any]:
        unchanged = self.unchanged(response)
        result = self.parsed(response)
        if result is None:
            return
        yield from self.envelope(response, result, unchanged)
        if "mre_catalogue" in response.meta:
            follow, only, limit = response.meta["mre_catalogue"]
            only = set(only)
        else:
            follow, only, limit = self.follow, self.only, self.limit
        if not follow:
            return
        followed = 0
        for listing in result.items:
            if only and listing.slug not in only:
                self.skip("track/not_selected")
                continue
            if limit is not None and followed >= limit:
                self.skip("track/over_limit")
                continue
            followed += 1
            yield self.page_request(dashboard_url(listing.slug), self.parse_dashboard, "track_dashboard",
                                    track_slug=listing.slug)

    def parse_dashboard(self, response: Response) -> Iterator[Any]:
        unchanged = self.unchanged(response)
        result = self.parsed(response)
        if result is not None:
            yield from self.envelope(response, result, unchanged)
