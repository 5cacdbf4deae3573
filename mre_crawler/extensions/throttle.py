"""AutoThrottle that stands down for loopback replays (unless ``--polite``)."""

from __future__ import annotations

import logging

from scrapy.exceptions import NotConfigured
from scrapy.extensions.throttle import AutoThrottle

from mre_crawler.config import config_for

logger = logging.getLogger(__name__)


class PoliteAutoThrottle(AutoThrottle):
    @classmethod
    def from_crawler(cls, crawler):
        config = config_for(crawler)
        if not config.autothrottle_enabled:
            raise NotConfigured("MRE_AUTOTHROTTLE_ENABLED is off")
        if not config.throttled:
            logger.info("AutoThrottle is off for a loopback replay (use --polite to keep it)")
            raise NotConfigured  # expected, so not logged as a warning
        return super().from_crawler(crawler)
