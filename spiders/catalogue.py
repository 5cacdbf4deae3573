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
        yield self.page_request(CATALOGUE_URL, self.parse_catalogue, "track_catalogue")

    def parse_catalogue(self, response: Response) -> Iterator[Any]:
        unchanged = self.unchanged(response)
        result = self.parsed(response)
        if result is None:
            return
        yield from self.envelope(response, result, unchanged)
        if not self.follow:
            return
        followed = 0
        for listing in result.items:
            if self.only and listing.slug not in self.only:
                self.skip("track/not_selected")
                continue
            if self.limit is not None and followed >= self.limit:
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
