"""Pages that need a browser: render them with scrapy-playwright and Debian's chromium (issue 11).

Off unless needed. A plain HTTP fetch is kept unless the page came back without its data:

- a race page with a results table but no ``racerLaps`` lap data ("no lap data");
- a practice day whose session list is empty although its Practice Stats panel counts laps
  ("empty session list");
- a bot check (:mod:`mre_crawler.parsers.detect`: a challenge title or widget) ("bot check").

:class:`RenderMiddleware` (downloader middleware, between the HTTP cache and the cut-body check)
sees such a response and sends the same URL again with ``meta["playwright"]``; a spider may also
ask for it itself by setting ``meta["playwright"] = True``. The render request goes through every
downloader middleware again, so it takes a budget unit and a rate slot like any request to the
track, and the download handler (:mod:`mre_crawler.middlewares.replay`) hands it to
:class:`BrowserFetcher` inside the track's concurrency place. The rendered DOM (what chromium's
``page.content()`` serialises) is the body the spider parses with the same parsers, the one
hashed into ``stored_pages`` and the one the HTTP cache keeps, so the next crawl reads the
rendered copy from the cache instead of rendering again. The static body is never cached.

scrapy-playwright is only imported and its browser only started at the first render, so a crawl
that renders nothing costs what it did before. Without a browser (no chromium, or it cannot
start) the page is listed as failed with one line saying how to install chromium; nothing of it
is stored or cached, so the next crawl with a browser renders it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response

from mre_crawler.config import config_for

logger = logging.getLogger(__name__)

DEFAULT_CHROMIUM = "/usr/bin/chromium"
INSTALL_HINT = "install it with `apt-get install chromium`, or set MRE_CHROMIUM to its path"

# What a render waits for after the page's load event: the page type's marker element (a bot check
# reloads into the real page). Only for the page types rendering is used for.
WAIT_FOR = {
    "race_result": "table.race_result",
    "practice_day_overview": "table.practice_session_list",
}
_BOT_STATUSES = (200, 403, 429, 503)
_TOTAL_LAPS = re.compile(r"total\s+laps\s*(\d[\d,]*)", re.IGNORECASE)


class NeedsBrowser(IgnoreRequest):
    """A page that needs a browser, and none could be used: the page is listed as failed."""


def chromium_path(configured: str = "") -> str | None:
    """The chromium to launch: ``MRE_CHROMIUM`` when set (None when nothing runs there), else
    /usr/bin/chromium, else ``chromium`` or ``chromium-browser`` on PATH."""
    if configured:
        path = Path(configured).expanduser()
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    if os.access(DEFAULT_CHROMIUM, os.X_OK):
        return DEFAULT_CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch_options(executable: str) -> dict[str, Any]:
    """PLAYWRIGHT_LAUNCH_OPTIONS for Debian's chromium (root needs ``--no-sandbox``)."""
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return {"executable_path": executable, "headless": True, "args": args}


def abort_request(request: Any) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: a render loads the page and its scripts, nothing else (no
    images, fonts, stylesheets or media; nothing from a host that is not LiveRC or loopback), so
    it costs the track about one request more than a plain fetch."""
    from urllib.parse import urlsplit

    if request.resource_type in ("image", "media", "font", "stylesheet"):
        return True
    host = (urlsplit(request.url).hostname or "").lower()
    return not (host.endswith(".liverc.com") or host in ("127.0.0.1", "localhost", "::1"))


# --- when a page needs rendering -----------------------------------------------------------------
def _tree(body: bytes):
    import lxml.html

    try:
        return lxml.html.fromstring(body)
    except (ValueError, Exception):  # noqa: BLE001 - not HTML at all: nothing to render for
        return None


def _no_lap_data(body: bytes) -> bool:
    if b"racerLaps[" in body or b"race_result" not in body:
        return False  # the cheap test every race page takes: lap data is there
    from mre_crawler.parsers.detect import find_marker

    tree = _tree(body)
    return tree is not None and find_marker(tree, "race_result") is not None


def _empty_session_list(body: bytes) -> bool:
    tree = _tree(body)
    if tree is None:
        return False
    from mre_crawler.parsers.detect import find_marker

    table = find_marker(tree, "practice_day_overview")
    if table is None or table.findall("tbody/tr"):
        return False
    for heading in tree.xpath('//div[contains(concat(" ", normalize-space(@class), " "), " panel-heading ")]'):
        if " ".join(heading.text_content().split()).startswith("Practice Stats"):
            match = _TOTAL_LAPS.search(" ".join(heading.getparent().text_content().split()))
            return match is not None and int(match.group(1).replace(",", "")) > 0
    return False


def _bot_check(body: bytes, page_type: str | None) -> bool:
    from mre_crawler.parsers.detect import _MARKERS, _not_a_page

    marker = _MARKERS.get(page_type or "")
    if marker is not None and marker[2].encode() in body:
        return False  # the page's own marker is there: not a challenge page
    tree = _tree(body)
    if tree is None:
        return False
    found = _not_a_page(tree)
    return found is not None and found[0] == "bot_check"


def render_reason(response: Response, page_type: str | None) -> str | None:
    """Why this response needs a browser ("no lap data", ...), or None for a page that is whole."""
    body = response.body or b""
    if response.status == 200 and page_type == "race_result" and _no_lap_data(body):
        return "no lap data"
    if response.status == 200 and page_type == "practice_day_overview" and _empty_session_list(body):
        return "empty session list"
    if response.status in _BOT_STATUSES and body and _bot_check(body, page_type):
        return "bot check"
    return None


# --- the middleware --------------------------------------------------------------------------------
class RenderMiddleware:
    """Send a page that came back without its data once more, rendered in chromium."""

    def __init__(self, crawler):
        config = config_for(crawler)
        if not config.render_enabled:
            raise NotConfigured("MRE_RENDER_ENABLED is off")
        self.stats = crawler.stats
        self.chromium = chromium_path(config.chromium)
        self.configured = config.chromium
        self.wait_ms = config.render_wait * 1000  # how long a render waits for the page's marker element

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _no_browser(self, request: Request, reason: str) -> NeedsBrowser:
        self.stats.inc_value("mre/render/no_browser")
        where = f"no chromium at MRE_CHROMIUM={self.configured}" if self.configured else "no chromium found"
        logger.warning("%s needs a browser (%s), but %s: %s", request.url, reason, where, INSTALL_HINT)
        return NeedsBrowser(f"needs a browser ({reason}): {where}; {INSTALL_HINT}")

    def process_request(self, request: Request):
        if request.meta.get("playwright") and self.chromium is None:
            raise self._no_browser(request, request.meta.get("mre_render") or "asked for")
        return None

    def process_exception(self, request: Request, exception: Exception):
        """A render that failed (chromium timed out waiting for the page, a challenge that never
        lets go): the page as plain HTTP brought it goes on to the spider, which lists it (and
        keeps a 200 that is not the page in quarantine) exactly as without rendering."""
        static = request.meta.get("mre_static")
        if not request.meta.get("playwright") or static is None or isinstance(exception, NeedsBrowser):
            return None
        self.stats.inc_value("mre/render/failed")
        logger.warning("%s could not be rendered (%s): keeping the page as plain HTTP brought it",
                       request.url, " ".join(str(exception).split())[:160])
        status, headers, body = static
        from scrapy.http import HtmlResponse

        return HtmlResponse(request.url, status=status, headers=headers, body=body, request=request,
                            flags=["render-failed"])

    def process_response(self, request: Request, response: Response):
        if request.meta.get("playwright"):
            if "playwright" in response.flags:
                self.stats.inc_value("mre/render/pages")
                reason = request.meta.get("mre_render") or "asked for"
                self.stats.inc_value(f"mre/render/reason/{reason}")
            return response
        reason = render_reason(response, request.meta.get("page_type"))
        if reason is None:
            return response
        if self.chromium is None:
            raise self._no_browser(request, reason)
        logger.info("%s came back without its data (%s): rendering it in chromium", request.url, reason)
        meta = {**request.meta, "playwright": True, "mre_render": reason,
                "mre_static": (response.status, response.headers.to_unicode_dict(), response.body)}
        selector = WAIT_FOR.get(request.meta.get("page_type") or "")
        if selector:
            from scrapy_playwright.page import PageMethod

            meta["playwright_page_methods"] = [PageMethod("wait_for_selector", selector, state="attached",
                                                          timeout=self.wait_ms)]
        return request.replace(meta=meta, dont_filter=True)


# --- the browser ------------------------------------------------------------------------------------
class BrowserFetcher:
    """scrapy-playwright's download handler, made and started at the first render only."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.handler = None
        self.failed: str | None = None
        self.lock = asyncio.Lock()

    async def _ready(self):
        async with self.lock:
            if self.handler is None and self.failed is None:
                from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

                handler = ScrapyPlaywrightDownloadHandler.from_crawler(self.crawler)
                try:
                    # Made after engine_started, so its start-up hook never ran: run it here
                    # (scrapy-playwright 0.0.48, pinned <0.1), then launch chromium now so a
                    # broken browser fails here, once, with its reason.
                    await handler._launch()
                    await handler._maybe_launch_browser()
                except Exception as exc:  # noqa: BLE001 - any launch failure means: no browser
                    self.failed = " ".join(str(exc).split())[:200]
                    logger.warning("chromium could not be started (%s): %s", self.failed, INSTALL_HINT)
                    try:
                        await handler._close()
                    except Exception:  # noqa: BLE001
                        pass
                else:
                    self.handler = handler
            if self.failed is not None:
                raise NeedsBrowser(f"needs a browser: chromium could not be started ({self.failed}); {INSTALL_HINT}")
            return self.handler

    async def download(self, request: Request) -> Response:
        handler = await self._ready()
        response = await handler.download_request(request)
        # The body is chromium's serialised DOM: the headers' Content-Length (and encoding) describe
        # the bytes of the static page, not it.
        for name in ("Content-Length", "Content-Encoding"):
            response.headers.pop(name, None)
        if response.status != 200 and request.meta.get("mre_render") == "bot check" \
                and not _bot_check(response.body, request.meta.get("page_type")):
            # The status is the challenge's (403/503); the page chromium ended on, after the
            # challenge let it through, is the page itself.
            response = response.replace(status=200)
        self.crawler.stats.inc_value("mre/render/fetched")
        return response

    async def close(self) -> None:
        if self.handler is not None:
            await self.handler.close()
            self.handler = None
