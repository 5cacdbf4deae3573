"""Scrapy settings for MRE (``scrapy.cfg`` points here; ``scrapy crawl event -a ...`` works).

``MRE_`` settings come from the environment (copied in below) or ``-s MRE_X=...``; they are read
once into :class:`mre_crawler.config.CrawlConfig` and turned into Scrapy's own settings by the
add-on :class:`mre_crawler.extensions.addon.MRESettingsAddon` (robots.txt, per-track concurrency,
retries, cache). Each MRE component below has an ``MRE_<X>_ENABLED`` switch.
"""

from __future__ import annotations

from mre_crawler.config import env_settings

BOT_NAME = "mre"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Every MRE_ variable in the environment becomes a setting (``-s`` on the command line wins).
globals().update(env_settings())

ADDONS = {"mre_crawler.extensions.addon.MRESettingsAddon": 0}

# Politeness: ROBOTSTXT_OBEY and CONCURRENT_REQUESTS_PER_DOMAIN (per track: the slug is the host)
# are set by the add-on. AutoThrottle runs through PoliteAutoThrottle, which stands down for a
# loopback replay unless MRE_POLITE.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 3.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# A page that still fails after its retries is an expected outcome on a live site: it is listed in
# the summary and the health checks judge how many there were. At ERROR (Scrapy's default) each one
# would also fail the error_log_lines check and turn a healthy partial crawl into exit 3.
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
DOWNLOAD_TIMEOUT = 60
COOKIES_ENABLED = False
# Scrapy starts CONCURRENT_ITEMS asyncio workers for every callback output; MRE yields one page
# item (and a few requests) per page, so 100 workers only cost task churn (measured: ~4 s per
# 1,300 pages of a re-crawl).
CONCURRENT_ITEMS = 8
TELNETCONSOLE_ENABLED = False
REDIRECT_ENABLED = True

DOWNLOAD_HANDLERS = {
    "http": "mre_crawler.middlewares.replay.LiveRCDownloadHandler",
    "https": "mre_crawler.middlewares.replay.LiveRCDownloadHandler",
}

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's robots.txt handling with a one-line log for a robots.txt that cannot be fetched.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "mre_crawler.middlewares.robots.PlainRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "mre_crawler.middlewares.user_agent.IdentifyingUserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "mre_crawler.middlewares.retry.BackoffRetryMiddleware": 550,
    # Redirects are followed only to the same LiveRC page (issue 9); REDIRECT_ENABLED and
    # METAREFRESH_ENABLED still switch them off (then a 3xx fails as "HTTP 302").
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "mre_crawler.middlewares.redirect.LiveRCMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "mre_crawler.middlewares.redirect.LiveRCRedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
    "mre_crawler.middlewares.cache.PageTypeCacheMiddleware": 900,
    # Below the cache: a cached page costs no budget, no rate slot, and is never "changed".
    "mre_crawler.middlewares.cache.EventChangeInvalidationMiddleware": 910,
    # Below the cache: a page that came back without its data is sent again, rendered in chromium
    # (mre_crawler.render); the static body is never cached, the rendered one is.
    "mre_crawler.render.RenderMiddleware": 920,
    # Above the cache: a body cut short is retried before the cache could store it (issue 9).
    "mre_crawler.middlewares.whole.CutBodyRetryMiddleware": 930,
    # A host found unreachable (no DNS, refused) fails at once; after the cache, so fresh cached
    # pages are still served, and before the budget and rate slot, which it then never spends.
    "mre_crawler.middlewares.reachability.UnreachableHostMiddleware": 940,
    # A track paused by Retry-After: cached pages pass, the others wait here before they take a
    # budget unit or a rate slot (and once more in the download handler).
    "mre_crawler.middlewares.pause.TrackPauseMiddleware": 945,
    "mre_crawler.middlewares.politeness.DailyBudgetMiddleware": 950,
    # Shared-crawl workers only (MRE_REDIS_URL): per-track concurrency over all workers.
    "mre_crawler.middlewares.track_lease.SharedTrackConcurrencyMiddleware": 955,
    "mre_crawler.middlewares.politeness.TrackRateMiddleware": 960,
}

HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "mre_crawler.middlewares.cache.PageTypeCachePolicy"
HTTPCACHE_STORAGE = "mre_crawler.middlewares.cache.SqliteCacheStorage"

# A callback that finds the database gone ends the crawl quietly (one line, exit 1), no traceback.
SPIDER_MIDDLEWARES = {
    "mre_crawler.extensions.dblost.DatabaseLostSpiderMiddleware": 50,
    # Shared-crawl workers only: when a claimed request's page is done (mre_crawler.workers).
    "mre_crawler.workers.claims.ClaimProgressMiddleware": 900,
}

EXTENSIONS = {
    "scrapy.extensions.throttle.AutoThrottle": None,
    "mre_crawler.extensions.throttle.PoliteAutoThrottle": 0,
    "mre_crawler.extensions.health.CrawlHealth": 100,  # first: its findings go into the run row
    "mre_crawler.extensions.bookkeeping.CrawlBookkeeping": 200,
    "mre_crawler.extensions.runmetrics.CrawlRunMetrics": 300,  # after bookkeeping: reads its totals
}

ITEM_PIPELINES = {
    "pipelines.normalize.NormalizePipeline": 100,
    "pipelines.validate.ValidatePipeline": 200,
    "pipelines.store.StorePipeline": 300,
}

# Rendering (mre_crawler.render): only read when a page needs a browser. The add-on sets
# PLAYWRIGHT_LAUNCH_OPTIONS (Debian's chromium; Playwright cannot download its own here).
PLAYWRIGHT_ABORT_REQUEST = "mre_crawler.render.abort_request"
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
