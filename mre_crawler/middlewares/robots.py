"""robots.txt as Scrapy obeys it, but a robots.txt that cannot be fetched is one plain log line.

Scrapy's RobotsTxtMiddleware logs a failed robots.txt download at ERROR with a full traceback.
Without network that traceback was the first thing a cron mail showed, for a failure the crawl
reports anyway (the pages of that host fail too, and ``mre crawl`` says it cannot reach it).
Here the failure is one line: at INFO when the host was never reached (the command prints the
reason), a WARNING otherwise; the traceback only at DEBUG (``-vv``). What Scrapy then does is
unchanged: the host's pages are allowed, as with a missing robots.txt.
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from mre_crawler.middlewares.reachability import never_connected, plain_reason

logger = logging.getLogger(__name__)


class PlainRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware (``ROBOTSTXT_OBEY``) with one-line failure logging."""

    async def robot_parser(self, request: Request):
        # Scrapy 2.19's robot_parser with only the error logging changed.
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            robotsreq = Request(f"{url.scheme}://{netloc}/robots.txt", priority=self.DOWNLOAD_PRIORITY,
                                meta={"dont_obey_robotstxt": True}, callback=NO_CALLBACK)
            try:
                resp = await self.crawler.engine.download_async(robotsreq)
                await self._parse_robots(resp, netloc, request)
            except Exception as exc:  # noqa: BLE001 - any failure means "no robots.txt", as in Scrapy
                self._log_failure(robotsreq, exc)
                self._robots_error(exc, netloc)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    def _log_failure(self, robotsreq: Request, exc: Exception) -> None:
        if isinstance(exc, IgnoreRequest) and never_connected(exc) is None:
            return  # refused by a middleware (budget spent ...): reported with the pages
        reason = never_connected(exc)
        level = logging.INFO if reason else logging.WARNING
        logger.log(level, "robots.txt not fetched: %s (%s); its pages are allowed",
                   robotsreq.url, plain_reason(exc, robotsreq), extra={"spider": self.crawler.spider})
        logger.debug("robots.txt failure for %s", robotsreq.url, exc_info=exc)
