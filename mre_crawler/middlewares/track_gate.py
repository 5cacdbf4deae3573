"""At most ``CONCURRENT_REQUESTS_PER_DOMAIN`` transfers per track, enforced where bytes go out.

Scrapy 2.19's downloader pops requests from a slot's queue while the slot has free transfer
places, but each transfer only counts once its task runs (``_schedule_coro`` creates an asyncio
task): the loop hands out the whole queue first. Measured here on a loopback site with slow race
pages and ``CONCURRENT_REQUESTS_PER_DOMAIN = 2``: 11–15 requests of one track in flight at once.
(With a download delay, as AutoThrottle sets against LiveRC, the loop stops after one request, so
the bug mostly hides there; replays, the demo and tests showed it.) The download handler takes a
place here before every transfer, so the documented per-track limit holds on every site.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from scrapy.http import Request

from mre_crawler.middlewares.retry import track_of


class TrackGates:
    def __init__(self, per_track: int):
        self.per_track = max(1, int(per_track))
        self._gates: dict[str, asyncio.Semaphore] = {}

    @asynccontextmanager
    async def place(self, request: Request) -> AsyncIterator[None]:
        """Hold one of the track's transfer places for the length of the block."""
        key = request.meta.get("download_slot") or track_of(request.url)
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = asyncio.Semaphore(self.per_track)
        async with gate:
            yield
