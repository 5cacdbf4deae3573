"""Redirects are followed only to the same LiveRC page (issue 9).

Scrapy's RedirectMiddleware follows any ``Location``. On LiveRC that stored wrong data: a race page
that answered 302 to another track's race page was stored under the requested race id with the
other race's rows (the other race was then skipped as unchanged and left empty), and a 302 to a
non-LiveRC host sent eight requests there (robots.txt and the page, four attempts each). No page
states its own URL or id (FIELD-GUIDE §0), so nothing on the page could catch it afterwards.

Here a redirect is followed only when its target is the page the spider asked for, as
:func:`mre_crawler.urls.read_url` reads it: same track slug, page type, id (and practice day).
That allows ``http``→``https``, a trailing slash, a reordered query. Anything else (another track,
another id or page type, another host) is not followed: the request fails with
``IgnoreRequest("redirected to <target>")``, so the spider lists the requested LiveRC URL as failed
with that reason and nothing is stored under its id. A followed redirect's response is handed on
under the requested URL, so items, stored URLs and the "unchanged" check all keep the canonical one.

With ``--site`` the replay server's ``Location`` may be relative (``/SLUG/results/?…``), absolute on
the site (``http://127.0.0.1:PORT/SLUG/…``) or an absolute LiveRC URL; site forms are read back to
the LiveRC URL they stand for (:func:`mre_crawler.urls.from_site`) before comparing.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from w3lib.url import safe_url_string

from mre_crawler.config import config_for
from mre_crawler.urls import BadURL, from_site, read_url, to_site

logger = logging.getLogger(__name__)

REDIRECT_CODES = (301, 302, 303, 307, 308)


def requested_url(request: Request) -> str:
    """The URL the spider asked for, before any redirect was followed."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


def same_page(requested: str, target: str) -> bool:
    """Whether ``target`` is the LiveRC page ``requested`` names (scheme, trailing slash and query
    order aside). URLs that are not LiveRC pages (robots.txt) must keep host and path."""
    try:
        a, b = read_url(requested), read_url(target)
    except BadURL:
        ra, rb = urlsplit(requested), urlsplit(target)
        return (
            (ra.hostname or "").lower().endswith(".liverc.com")
            and (ra.hostname or "").lower() == (rb.hostname or "").lower()
            and ra.path.rstrip("/") == rb.path.rstrip("/")
        )
    return (a.page_type, a.slug, a.id, a.day) == (b.page_type, b.slug, b.id, b.day)


class SamePageRedirects:
    """What both redirect middlewares share: where a Location points, and the same-page rule."""

    site: str | None

    def __init__(self, settings, site: str | None = None):
        super().__init__(settings)
        self.site = site

    @classmethod
    def from_crawler(cls, crawler):
        # As Scrapy's BaseRedirectMiddleware.from_crawler does, plus the --site server.
        o = cls(crawler.settings, config_for(crawler).site)
        o.crawler = crawler
        crawler.signals.connect(o._engine_started, signal=signals.engine_started)
        return o

    def target_url(self, request: Request, location: str) -> str:
        """The URL ``location`` (as the server sent it) points to, as a LiveRC URL where it is one."""
        if location.startswith("//"):
            location = urlsplit(request.url).scheme + ":" + location
        if not self.site:
            return urljoin(request.url, location)
        # The request went to the replay server: a relative Location is relative to the site URL.
        try:
            fetched = to_site(request.url, self.site)
        except BadURL:
            fetched = request.url
        target = urljoin(fetched, location)
        if urlsplit(target).netloc == urlsplit(self.site).netloc:
            try:
                return from_site(target, self.site)
            except BadURL:
                return target
        return target

    def checked(self, request: Request, target: str) -> str:
        """``target`` when it is the requested page; otherwise the request fails here."""
        origin = requested_url(request)
        stats = self.crawler.stats
        if same_page(origin, target):
            stats.inc_value("mre/redirect/followed")
            return target
        kind = "other_page" if (urlsplit(target).hostname or "").lower().endswith(".liverc.com") else "offsite"
        stats.inc_value("mre/redirect/refused")
        stats.inc_value(f"mre/redirect/refused/{kind}")
        logger.warning("%s redirected to %s: not the same LiveRC page, not followed", origin, target)
        # A plain IgnoreRequest: Scrapy's robots.txt middleware logs any other failure as an error.
        raise IgnoreRequest(f"redirected to {target}")

    def on_the_requested_url(self, request: Request, response: Response) -> Response:
        """A response reached through a followed redirect, handed on under the requested URL."""
        origin = requested_url(request)
        if origin != response.url and request.meta.get("redirect_urls"):
            return response.replace(url=origin)
        return response


class LiveRCRedirectMiddleware(SamePageRedirects, RedirectMiddleware):
    """Scrapy's RedirectMiddleware (same place, same REDIRECT_* settings), same page only."""

    def process_response(self, request: Request, response: Response, spider=None) -> Request | Response:
        if (
            response.status not in REDIRECT_CODES
            or b"Location" not in response.headers
            or request.meta.get("dont_redirect", False)
            or response.status in getattr(self.crawler.spider, "handle_httpstatus_list", ())
            or response.status in request.meta.get("handle_httpstatus_list", ())
            or request.meta.get("handle_httpstatus_all", False)
        ):
            return self.on_the_requested_url(request, response)
        location = safe_url_string(response.headers[b"Location"])
        target = self.checked(request, self.target_url(request, location))
        redirected = self._build_redirect_request(request, response, url=target)
        if response.status == 303 and request.method not in ("GET", "HEAD"):
            redirected = self._redirect_request_using_get(request, response, target)
        # The same page by construction, so the duplicate filter must not drop it as "seen" (a 302
        # to the very URL asked for would otherwise lose the page silently); REDIRECT_MAX_TIMES
        # still ends a loop.
        followed = self._redirect(redirected, request, response.status)
        followed.dont_filter = True  # after _redirect, which copies the original request's flag
        return followed


class LiveRCMetaRefreshMiddleware(SamePageRedirects, MetaRefreshMiddleware):
    """Scrapy's MetaRefreshMiddleware, same page only (a ``<meta http-equiv=refresh>`` is a redirect)."""

    def _redirect(self, redirected: Request, request: Request, reason) -> Request:
        # The refresh URL was resolved against the requested URL (a LiveRC one, also under --site).
        target = self.checked(request, redirected.url)
        return super()._redirect(redirected.replace(url=target), request, reason)

