"""``event``: one event, by URL (``-a url=...``) or by track and id (``-a track=SLUG -a event_id=N``).

Requests the event page, then every race page it lists, the entry list, the points pages, the
multi-main pages (FIELD-GUIDE §11.2), the heat sheets, round rankings and the overall final ranking
(§11.3-11.5). Any other link kind is counted as skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from mre_crawler.urls import BadURL, entry_list_url, event_url, race_url, read_url
from spiders.base import LiveRCSpider


# event link kind -> (page type, meta key of the link's id); overall_ranking's id is the event id
_LINEUP_PAGES = {"heat_sheet": ("heat_sheet", "heat_sheet_id"), "round_ranking": ("round_ranking", "ranking_id"),
                 "overall_ranking": ("overall_ranking", "event_id")}


class EventPages(LiveRCSpider):
    """Callbacks for an event's pages, shared by the ``event`` and ``track`` spiders."""

    def event_request(self, slug: str, event_id: int) -> scrapy.Request:
        return self.page_request(event_url(slug, event_id), self.parse_event, "event",
                                 track_slug=slug, event_id=event_id)

    def parse_event(self, response: Response) -> Iterator[Any]:
        unchanged = self.unchanged(response)
        result = self.parsed(response)
        if result is None:
            return
        yield from self.envelope(response, result, unchanged)
        event = result.item
        slug, event_id = response.meta["track_slug"], response.meta["event_id"]
        ids = {"track_slug": slug, "event_id": event_id,
               "event_finished": self.event_finished(event.date_end or event.date_start)}
        for race in event.races:
            yield self.page_request(race_url(slug, race.race_id),
                                    self.parse_race, "race_result", race_id=race.race_id, **ids)
        yield self.page_request(entry_list_url(slug, event_id), self.parse_entry_list, "entry_list", **ids)
        for link in event.links:
            if link.kind == "points":
                yield self.page_request(link.url, self.parse_points, "qual_points", points_id=link.target_id, **ids)
            elif link.kind in _LINEUP_PAGES:  # FIELD-GUIDE §11.3-11.5: heat sheets and rankings
                page_type, id_key = _LINEUP_PAGES[link.kind]
                yield self.page_request(link.url, self.parse_points, page_type, **{id_key: link.target_id, **ids})
            elif link.kind == "multi_main":
                yield self.page_request(link.url, self.parse_multi_main, "multi_main",
                                        multi_main_id=link.target_id, **ids)
            elif link.kind != "entry_list":
                self.skip(f"link/{link.kind}")

    def parse_race(self, response: Response) -> Iterator[Any]:
        if self.unchanged(response):
            return
        result = self.parsed(response)
        if result is not None:
            yield from self.envelope(response, result)

    parse_entry_list = parse_race
    parse_points = parse_race
    parse_multi_main = parse_race


class EventSpider(EventPages):
    name = "event"

    def __init__(self, url: str | None = None, track: str | None = None, event_id: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if url:
            page = read_url(url)
            if page.page_type != "event" or page.id is None:
                raise BadURL(f"not a LiveRC event URL (…/results/?p=view_event&id=N): {url!r}")
            self.track_slug, self.event_id = page.slug, page.id
        elif track and event_id:
            if not str(event_id).isdigit():
                raise BadURL(f"event id must be a number, not {event_id!r}")
            self.track_slug, self.event_id = read_url(f"https://{track}.liverc.com/").slug, int(event_id)
        else:
            raise BadURL("give -a url=EVENT_URL, or -a track=SLUG -a event_id=N")

    async def start(self):
        yield self.event_request(self.track_slug, self.event_id)

    def on_failure(self, request: scrapy.Request, reason: str) -> None:
        if request.meta.get("page_type") == "event" and reason == "HTTP 404":
            self.bad_input = f"no event {self.event_id} at {self.track_slug}.liverc.com ({reason})"
