"""Fetch LiveRC URLs from a replay server (``--site``) or from cassettes, never changing the URL.

This is a download handler rather than a downloader middleware on purpose: a middleware can
only swap the request for a new one, which Scrapy sends back through the scheduler, the
dupefilter and the HTTP cache under the replay URL. Rewriting at the handler keeps everything
above it (cache keys, retries, robots.txt, per-track download slots, items, stored URLs) on the
real ``https://SLUG.liverc.com/...`` URL while the bytes come from ``http://127.0.0.1:PORT/SLUG/...``.

It is also the last gate before the network: a request to any host but ``*.liverc.com`` (or the
``--site`` server) is refused here, counted in ``mre/offsite/refused``, whatever asked for it (a
redirect, a link, robots.txt of another host). Issue 9: a 302 to another host once sent eight
requests there.

A failure's message names the LiveRC URL too, never the replay address.

Being the last step before the bytes go out, the handler is also where a paused track's request
waits one last time (:mod:`mre_crawler.middlewares.pause`) and where a request to a host already
found unreachable stops (:mod:`mre_crawler.middlewares.reachability`).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes

from mre_crawler.cassettes import CassetteLibrary
from mre_crawler.config import config_for
from mre_crawler.middlewares.pause import pauses_for
from mre_crawler.middlewares.reachability import reachability_for
from mre_crawler.middlewares.track_gate import TrackGates
from mre_crawler.urls import to_site

logger = logging.getLogger(__name__)


def _naming(exc: Exception, replay_url: str, liverc_url: str) -> Exception:
    """``exc`` with the replay URL in its message replaced by the LiveRC URL (same class when it
    takes one message argument, as Scrapy's download errors do; else ``exc`` itself)."""
    text = str(exc)
    if replay_url not in text or len(exc.args) != 1 or not isinstance(exc.args[0], str):
        return exc
    try:
        return type(exc)(text.replace(replay_url, liverc_url))
    except Exception:  # noqa: BLE001 - an exception class with another constructor: keep it as is
        return exc


def is_liverc(url: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
    return host.endswith(".liverc.com")


class LiveRCDownloadHandler(BaseDownloadHandler):
    """HTTP(S) handler: LiveRC itself, a ``--site`` replay server, or cassettes (``MRE_CASSETTE``)."""

    lazy = False

    def __init__(self, crawler):
        super().__init__(crawler)
        config = config_for(crawler)
        self.site = config.site
        self.cassettes = CassetteLibrary(config.cassettes) if config.cassettes else None
        self.http = None if self.cassettes else HTTP11DownloadHandler.from_crawler(crawler)
        self.stats = crawler.stats
        self.site_netloc = urlsplit(self.site).netloc.lower() if self.site else None
        self.pauses = pauses_for(crawler)
        self.reachability = reachability_for(crawler)
        self.gates = TrackGates(crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))
        # Pages that need a browser (meta["playwright"]): chromium starts at the first one only.
        from mre_crawler.render import BrowserFetcher

        self.browser = BrowserFetcher(crawler)

    def allowed(self, url: str) -> bool:
        """LiveRC itself, or the replay server this crawl reads from; nothing else goes out."""
        return is_liverc(url) or (self.site_netloc is not None and urlsplit(url).netloc.lower() == self.site_netloc)

    async def download_request(self, request: Request) -> Response:
        if self.cassettes is not None:
            return self._from_cassette(request)
        assert self.http is not None
        if not self.allowed(request.url):
            self.stats.inc_value("mre/offsite/refused")
            logger.warning("refused a request to a host that is not LiveRC: %s", request.url)
            raise IgnoreRequest(f"not a LiveRC host: {request.url}")
        async with self.gates.place(request):
            # Inside the track's place: a pause that began while this request waited for it holds.
            await self.pauses.hold(request, reslot=True)
            return await self._transfer(request)

    async def _transfer(self, request: Request) -> Response:
        self.reachability.check(request)
        fetch = self.browser.download if request.meta.get("playwright") else self.http.download_request
        if not self.site or not is_liverc(request.url):
            response = await fetch(request)
        else:
            replay_url = to_site(request.url, self.site)
            replayed = request.replace(url=replay_url)
            try:
                response = await fetch(replayed)
            except Exception as exc:
                renamed = _naming(exc, replay_url, request.url)
                if renamed is exc:
                    raise
                raise renamed from exc
            self.stats.inc_value("mre/replay/site_requests")
            if "download_latency" in replayed.meta:  # set on the copy; AutoThrottle and metrics read it
                request.meta["download_latency"] = replayed.meta["download_latency"]
            # The LiveRC request too, not only its URL: scrapy-playwright's response carries the
            # request it was given (the replay copy), and Scrapy passes response.request on to
            # response_received, so a rendered page was recorded under the replay URL.
            response = response.replace(url=request.url, request=request)
        self.pauses.note_answer(request, response)
        return response

    def _from_cassette(self, request: Request) -> Response:
        recorded = self.cassettes.lookup(request.method, request.url)
        self.stats.inc_value("mre/replay/cassette_requests")
        if recorded is None:
            # What a replay server says about a page it does not have.
            self.stats.inc_value("mre/replay/cassette_missing")
            return Response(request.url, status=404, body=b"not in cassette", request=request)
        # The cassette holds the decoded body: its Content-Encoding, and the Content-Length of the
        # encoded body, no longer describe it (a length that disagrees would read as a cut body).
        encoded = any(k.lower() == "content-encoding" for k in recorded.headers)
        dropped = ("content-encoding", "content-length") if encoded else ("content-encoding",)
        headers = Headers({k: v for k, v in recorded.headers.items() if k.lower() not in dropped})
        cls = responsetypes.from_args(headers=headers, url=request.url, body=recorded.body)
        return cls(url=request.url, status=recorded.status, headers=headers, body=recorded.body,
                   request=request, flags=["cassette"])

    async def close(self) -> None:
        await self.browser.close()
        if self.http is not None:
            await self.http.close()
