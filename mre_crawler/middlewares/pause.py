"""Track pauses: a 429/503 ``Retry-After`` holds every request of the track, wherever it waits.

LiveRC's ``Retry-After`` asks the track's host to slow down, not one URL, so the whole track
pauses. The download handler sets the pause the moment the answer arrives
(:meth:`TrackPauses.note_answer`; the retry middleware then retries the page after it), and every
request of the track is held until the pause ends: first by :class:`TrackPauseMiddleware`, after
the HTTP cache (a cached page needs no pause) and before the budget and rate ceiling (a held
request has spent neither yet), then again in the download handler, the last step before the
bytes go out. The second hold catches requests that were already past the middlewares when the
429 arrived: ones sleeping for their rate slot or their backoff, or waiting in Scrapy's download
slot for the AutoThrottle delay. After waiting out a pause a request takes a fresh rate slot
(when the rate ceiling is on), so the track's queue does not burst out the moment it ends.

With politeness on (LiveRC itself, or ``--polite``) the pause is stored in PostgreSQL
(``politeness_rate.paused_until``, migration 0051) on the database clock, so every crawler
process on every machine honours it and no rate slot is handed out inside it. A loopback replay
without ``--polite`` keeps pauses in this process only: a replay's pause must not stop a real
crawl of the same LiveRC track.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from scrapy.http import Request, Response

from mre_crawler.config import config_for

logger = logging.getLogger(__name__)


def pause_key(url: str) -> str:
    """The track a pause holds: its LiveRC slug (the rate ceiling's key), else the host."""
    from mre_crawler.middlewares.politeness import slug_of

    return slug_of(url)


class TrackPauses:
    """Every pause of one crawler: in this process, and in PostgreSQL when politeness applies."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        config = config_for(crawler)
        self.shared = config.throttled
        self.retry_after_max = config.retry_after_max
        self.until: dict[str, float] = {}  # track -> time.time() when its pause (known here) ends
        self.counted_until: dict[str, float] = {}  # how far this crawl's pause time is counted
        # Set by TrackRateMiddleware: take the track's next rate slot, returning the wait.
        # (track, the request: a practice page's interval is the practice rate's)
        self.rate_slot: Callable[[str, Request], float] | None = None

    def _ledger(self):
        from mre_crawler.middlewares.politeness import ledger_for

        return ledger_for(self.crawler)

    def _count(self, track: str, until: float, reason: str) -> None:
        # Seconds the track was paused during this crawl: overlapping pauses count once.
        now = time.time()
        start = max(now, self.counted_until.get(track, 0.0))
        if until > start:
            self.counted_until[track] = until
            self.stats.inc_value(f"mre/pause/track/{track}", round(until - start, 1))
            self.stats.set_value(f"mre/pause/reason/{track}", reason)

    def pause(self, track: str, seconds: float, reason: str) -> None:
        """Pause ``track`` for ``seconds`` from now (a longer pause already set stays)."""
        if seconds <= 0:
            return
        until = time.time() + seconds
        if self.shared:
            until = max(until, time.time() + self._ledger().pause_track(track, seconds, reason))
        self.until[track] = max(self.until.get(track, 0.0), until)
        self.stats.inc_value("mre/pause/count")
        self._count(track, until, reason)
        logger.info("%s paused for %.0f s (%s)", track, seconds, reason)

    def note_answer(self, request: Request, response: Response) -> None:
        """Pause the track when LiveRC answered 429/503 with ``Retry-After`` (at most
        ``MRE_RETRY_AFTER_MAX``). Called by the download handler the moment the answer arrives:
        later, in the retry middleware, Scrapy's download slot could already have started the
        track's next request."""
        from mre_crawler.middlewares.retry import RETRY_AFTER_CODES, parse_retry_after

        if response.status not in RETRY_AFTER_CODES:
            return
        told = parse_retry_after(response.headers.get(b"Retry-After"))
        if told is not None:
            self.pause(pause_key(request.url), min(told, self.retry_after_max), f"Retry-After, HTTP {response.status}")

    def remaining(self, track: str) -> float:
        """Seconds left before ``track`` may be requested (0 when it is not paused)."""
        wait = self.until.get(track, 0.0) - time.time()
        if self.shared:
            found = self._ledger().pause_remaining(track)
            if found is not None:
                seconds, reason = found
                if seconds > wait + 0.05:  # set by another process (or longer than ours)
                    self._count(track, time.time() + seconds, reason)
                wait = max(wait, seconds)
        return max(0.0, wait)

    async def hold(self, request: Request, reslot: bool = False) -> float:
        """Wait until no pause holds the request's track; the seconds waited.

        ``reslot``: after a pause, wait for a fresh rate slot too (the last hold before download)."""
        track = pause_key(request.url)
        waited = 0.0
        while (wait := self.remaining(track)) > 0:
            self.stats.inc_value("mre/pause/waits")
            self.stats.inc_value("mre/pause/wait_seconds", round(wait, 3))
            await asyncio.sleep(wait)
            waited += wait
            if reslot and self.rate_slot is not None:
                # The slot this request took before the pause has passed; the rate ceiling hands
                # out slots after the pause only (take_rate_slot), one interval apart.
                slot_wait = self.rate_slot(track, request)
                if slot_wait > 0:
                    await asyncio.sleep(slot_wait)
                    waited += slot_wait
        return waited


class TrackPauseMiddleware:
    """Holds a paused track's requests after the HTTP cache and before the budget and rate ceiling."""

    def __init__(self, crawler):
        self.pauses = pauses_for(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        await self.pauses.hold(request)
        return None


def per_crawler(crawler, attr: str, make):
    """One shared object per crawler (``make(crawler)`` on first use), for the middlewares and the
    download handler that must see the same state."""
    found = getattr(crawler, attr, None)
    if found is None:
        found = make(crawler)
        setattr(crawler, attr, found)
    return found


def pauses_for(crawler) -> TrackPauses:
    """The crawler's one :class:`TrackPauses` (made on first use)."""
    return per_crawler(crawler, "_mre_pauses", TrackPauses)
