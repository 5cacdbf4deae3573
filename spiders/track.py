"""``track``: a track's dashboard and events list, then each event in range (``-a since/until``).

``scrapy crawl track -a track=SLUG [-a since=YYYY-MM-DD] [-a until=YYYY-MM-DD] [-a events=0]
[-a settled=ID,ID…] [-a fresh=1]``.
Events outside the range are counted (``mre/skipped/event/out_of_range``), not followed. ``settled``
lists events already stored whole and finished (``mre sync``'s plan): they are counted
(``mre/skipped/event/settled``), not fetched. ``fresh=1`` fetches the dashboard and events list
from LiveRC even when the HTTP cache holds a fresh copy (a sync must see new events at once).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from mre_crawler.errors import PageError
from mre_crawler.urls import BadURL, check_slug, dashboard_url, events_url
from spiders.base import parse_date_arg
from spiders.event import EventPages


class TrackSpider(EventPages):
    name = "track"

    def __init__(self, track: str | None = None, since: str | None = None, until: str | None = None,
                 events: str = "1", settled: str = "", fresh: str = "0", **kwargs: Any):
        super().__init__(**kwargs)
        if not track:
            raise BadURL("give -a track=SLUG")
        self.track_slug = check_slug(track)
        self.since = parse_date_arg("since", since)
        self.until = parse_date_arg("until", until)
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since {self.since} is after until {self.until}")
        self.follow_events = str(events).lower() not in ("0", "no", "false")
        self.settled = {int(x) for x in str(settled or "").split(",") if x.strip()}
        self.fresh = str(fresh).lower() in ("1", "yes", "true")

    async def start(self):
        slug = self.track_slug
        fresh = {"dont_cache": True} if self.fresh else {}
        yield self.page_request(dashboard_url(slug), self.parse_dashboard, "track_dashboard", track_slug=slug, **fresh)
        # The range and the settled events travel with the request: a shared-crawl worker
        # (spiders/worker.py) reads them from there, having no track arguments of its own.
        yield self.page_request(events_url(slug), self.parse_events, "track_events", track_slug=slug,
                                mre_range=(self.since, self.until, self.follow_events),
                                mre_settled=sorted(self.settled), **fresh)

    def parse_dashboard(self, response: Response) -> Iterator[Any]:
        unchanged = self.unchanged(response)
        result = self.parsed(response)
        if result is not None:
            yield from self.envelope(response, result, unchanged)

    def parse_events(self, response: Response) -> Iterator[Any]:
        unchanged = self.unchanged(response)
        result = self.parsed(response)
        if result is None:
            return
        yield from self.envelope(response, result, unchanged)
        since, until, follow_events = response.meta.get("mre_range", (self.since, self.until, self.follow_events))
        settled = set(response.meta.get("mre_settled", getattr(self, "settled", ())))
        if not follow_events:
            self.skip("event/not_followed", len(result.items))
            return
        for summary in result.items:
            day = summary.event_date or (summary.start_local.date() if summary.start_local else None)
            if (since and (day is None or day < since)) or (until and (day is None or day > until)):
                self.skip("event/out_of_range")
                continue
            if summary.event_id in settled:
                self.skip("event/settled")
                continue
            yield self.event_request(response.meta["track_slug"], summary.event_id)

    def on_failure(self, request: scrapy.Request, reason: str) -> None:
        # Only LiveRC itself saying "no such page" means an unknown track. A failed DNS lookup or
        # a refused connection is the network (or LiveRC) being down, never bad input: a cron job
        # must not be told its track slug is wrong when the machine is offline. A 503 after
        # retries is LiveRC being down too.
        if request.meta.get("page_type") == "track_dashboard" and reason == "HTTP 404":
            self.bad_input = f"unknown track {self.track_slug!r}: its dashboard answered {reason}"

    def on_quarantine(self, response: Response, page_type: str, exc: PageError) -> None:
        if page_type == "track_dashboard" and getattr(exc, "found", None) in ("error_page", "empty"):
            self.bad_input = f"unknown track {self.track_slug!r}: {exc.reason}"
