"""The settings add-on: turns the ``MRE_`` config into Scrapy's own settings before the crawl.

Scrapy reads some politeness knobs as its own settings (``ROBOTSTXT_OBEY``,
``CONCURRENT_REQUESTS_PER_DOMAIN``). An add-on runs after ``-s`` options are applied and
before the settings freeze, so ``scrapy crawl event -s MRE_SITE=...`` and ``mre crawl`` end up
with the same values. It sets them at add-on priority, so an explicit ``-s ROBOTSTXT_OBEY=0``
still wins.
"""

from __future__ import annotations

from scrapy.settings import BaseSettings

from mre_crawler.config import CrawlConfig


class MRESettingsAddon:
    @classmethod
    def from_crawler(cls, crawler):
        return cls()

    def update_settings(self, settings: BaseSettings) -> None:
        config = CrawlConfig.from_settings(settings)  # a bad value stops the crawl here, named
        settings.set("ROBOTSTXT_OBEY", config.robotstxt_enabled, priority="addon")
        # Per-track concurrency is MRE_CONCURRENCY_PER_TRACK on every site, replays included, so
        # what a test or the demo shows is what LiveRC gets; a loopback replay may raise it (-s).
        per_track = config.concurrency_per_track
        # Across tracks: a loopback replay is ours to load, so many tracks may go at once.
        total = max(4, per_track * 4) if config.throttled else max(16, per_track * 4)
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", per_track, priority="addon")
        settings.set("CONCURRENT_REQUESTS", total, priority="addon")
        settings.set("RETRY_ENABLED", config.retry_enabled, priority="addon")
        settings.set("RETRY_TIMES", config.retry_times, priority="addon")
        settings.set("HTTPCACHE_ENABLED", config.cache_enabled, priority="addon")
        settings.set("HTTPCACHE_DIR", str(config.cache_dir), priority="addon")
        # Rendering with Debian's chromium (mre_crawler.render); unused until a page needs it.
        from mre_crawler.render import chromium_path, launch_options

        chromium = chromium_path(config.chromium)
        if chromium is not None and not settings.get("PLAYWRIGHT_LAUNCH_OPTIONS"):
            settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", launch_options(chromium), priority="addon")
