"""Per-track concurrency across processes: at most ``MRE_CONCURRENCY_PER_TRACK`` requests of a
track in flight over all shared-crawl workers together.

Scrapy's ``CONCURRENT_REQUESTS_PER_DOMAIN`` (set from the same setting; the track slug is the
host) holds within one process; with N workers a track could get N times as many. So each
request of a worker takes a **lease** first: a member of the Redis sorted set
``P:lease:TRACK`` whose score is when it expires. One Lua script drops expired members and adds
one only while fewer than the limit remain; the Redis clock decides, so machines with skewed
clocks agree. The lease is given back when the answer (or the failure) comes back; a worker
killed while holding one loses it after ``DOWNLOAD_TIMEOUT`` + 30 s.

It sits after the HTTP cache (a cached page needs no lease) and before the rate ceiling, so a
request sleeping for its rate slot already holds its lease. Off unless the crawl is a worker.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import weakref

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Request

from mre_crawler.config import config_for

logger = logging.getLogger(__name__)

# KEYS: lease set. ARGV: limit, lease seconds, member. 1 when the lease was taken.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 60)
return 1
"""


class SharedTrackConcurrencyMiddleware:
    def __init__(self, crawler):
        settings = crawler.settings
        self.worker = settings.get("WORKER_ID")
        if not self.worker:
            raise NotConfigured  # silent: off for every crawl but a shared-crawl worker
        from scrapy_redis.connection import get_redis_from_settings

        self.crawler = crawler
        self.stats = crawler.stats
        self.limit = config_for(crawler).concurrency_per_track
        self.seconds = settings.getfloat("DOWNLOAD_TIMEOUT", 180) + 30
        self.prefix = settings.get("MRE_REDIS_PREFIX") or "mre"
        self.server = get_redis_from_settings(settings)
        self._take = self.server.register_script(_TAKE)
        self._ids = itertools.count()
        self.held: weakref.WeakKeyDictionary[Request, tuple[str, str]] = weakref.WeakKeyDictionary()
        self.all_held: dict[str, str] = {}  # member -> key, for the give-back at close
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        from mre_crawler.middlewares.politeness import slug_of

        key = f"{self.prefix}:lease:{slug_of(request.url)}"
        member = f"{self.worker}:{next(self._ids)}"
        waited = False
        while not self._take(keys=[key], args=[self.limit, self.seconds, member]):
            waited = True
            await asyncio.sleep(0.02 + random.random() * 0.03)
        if waited:
            self.stats.inc_value("mre/lease/waits")
        self.held[request] = (key, member)
        self.all_held[member] = key
        return None

    def _give_back(self, request: Request) -> None:
        held = self.held.pop(request, None)
        if held is not None:
            key, member = held
            self.all_held.pop(member, None)
            self.server.zrem(key, member)

    def process_response(self, request: Request, response):
        self._give_back(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._give_back(request)
        return None

    def spider_closed(self, spider=None) -> None:
        for member, key in list(self.all_held.items()):
            self.server.zrem(key, member)
        self.all_held.clear()
