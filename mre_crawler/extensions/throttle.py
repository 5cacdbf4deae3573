"""AutoThrottle that stands down for loopback replays (unless ``--polite``)."""

from __future__ import annotations

import logging

from scrapy.extensions.throttle import AutoThrottle

from mre_crawler.config import polite_config

logger = logging.getLogger(__name__)


class PoliteAutoThrottle(AutoThrottle):
    @classmethod
    def from_crawler(cls, crawler):
        polite_config(crawler, "autothrottle_enabled", "MRE_AUTOTHROTTLE_ENABLED", "AutoThrottle", logger)
        return super().from_crawler(crawler)
