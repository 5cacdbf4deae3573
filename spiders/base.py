"""What every MRE spider shares: page requests with ids in meta, parsing, quarantine, failures."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from mre_crawler.config import config_for
from mre_crawler.errors import IncompletePage, PageError
from mre_crawler.items import PageItem
from mre_crawler.jsonout import _CHILDREN
from mre_crawler.parsers import ParseResult, parse_page, parser_version

logger = logging.getLogger(__name__)

# The ids a page cannot show itself (FIELD-GUIDE §0 "No page knows its own URL"): they travel
# in request meta from the page that linked it, and the parser reads them from there.
ID_KEYS = ("track_slug", "event_id", "race_id", "points_id", "session_id")


def count_rows(item: Any) -> int:
    """Rows an item carries (results of a race, entries of a list ...); 1 for a flat item."""
    if isinstance(item, list):
        return sum(count_rows(i) for i in item)
    spec = _CHILDREN.get(type(item).__name__)
    return len(getattr(item, spec[0])) if spec else 1


def failure_reason(failure: Failure) -> str:
    """Why a page was not fetched, in plain words ("HTTP 503", "timed out after 60 s", "DNS lookup
    failed", "cannot reach HOST: connection refused" ...). The failure list is keyed by the LiveRC
    URL, so a reason never repeats a URL (a replay server's least of all)."""
    from scrapy.spidermiddlewares.httperror import HttpError

    from mre_crawler.middlewares.reachability import plain_reason

    if failure.check(HttpError):
        response = failure.value.response
        return f"HTTP {response.status}"
    return plain_reason(failure.value, getattr(failure, "request", None))


class LiveRCSpider(scrapy.Spider):
    """Base class; subclasses set ``name`` and ``start()``."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.failures: list[tuple[str, str]] = []  # (LiveRC URL, reason)
        self.bad_input: str | None = None  # set when the crawl shows the input was wrong (unknown track)

    # -- requests ------------------------------------------------------------------------------
    def page_request(self, url: str, callback: Callable, page_type: str, **meta: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.page_failed,
                              meta={"page_type": page_type, **meta})

    def page_failed(self, failure: Failure) -> None:
        from mre_crawler.extensions.dblost import database_lost, is_connection_lost
        from mre_crawler.middlewares.redirect import requested_url

        request = failure.request
        if is_connection_lost(failure.value):
            # A politeness middleware could not reach PostgreSQL: the page is not LiveRC's fault.
            database_lost(self.crawler, failure.value)
        reason = failure_reason(failure)
        # Listed under the URL the spider asked for, also when a redirect was followed first.
        self.failures.append((requested_url(request), reason))
        self.crawler.stats.inc_value("mre/pages/failed")
        self.crawler.stats.inc_value(f"mre/pages/failed/{request.meta.get('page_type', 'unknown')}")
        logger.info("page not fetched: %s (%s)", request.url, reason)
        self.on_failure(request, reason)

    def on_failure(self, request: scrapy.Request, reason: str) -> None:
        """Hook for spiders that learn something from a failed page (an unknown track)."""

    # -- parsing -------------------------------------------------------------------------------
    def unchanged(self, response: Response) -> bool:
        """True when this page's body is exactly the one already stored: nothing new to write.

        This is what makes a scheduled re-crawl of a finished event cheap (one cached request per
        page; results pages not even parsed, nothing written). Event pages and listings are still
        parsed because the crawl routes by them, but not stored again. ``MRE_SKIP_UNCHANGED=0``
        re-reads and re-stores everything (after a parser upgrade that reads more from the same pages).
        """
        from mre_crawler.extensions.bookkeeping import CrawlBookkeeping

        if not config_for(self.crawler).skip_unchanged:
            return False
        bookkeeping = self.crawler.get_extension(CrawlBookkeeping)
        if bookkeeping is None:
            return False
        stored = bookkeeping.stored_body(response.url)
        if stored is None or stored != hashlib.sha256(response.body).hexdigest():
            return False
        self.crawler.stats.inc_value("mre/pages/unchanged")
        self.crawler.stats.inc_value(f"mre/pages/unchanged/{response.meta['page_type']}")
        return True

    def parsed(self, response: Response) -> ParseResult | None:
        """Parse the page the request said it was; a page that cannot be read goes to quarantine."""
        page_type = response.meta["page_type"]
        ids = {k: response.meta[k] for k in ID_KEYS if response.meta.get(k) is not None}
        stats = self.crawler.stats
        try:
            cut = response.meta.get("mre_cut_body")
            if cut:
                # Still cut short after every retry (mre_crawler.middlewares.whole): not whole.
                raise IncompletePage(page_type, response.url, f"not whole: {cut}", "body")
            result = parse_page(response.body, response.url, page_type, ids)
        except PageError as exc:
            self.quarantine(response, page_type, exc)
            return None
        stats.inc_value("mre/pages/parsed")
        stats.inc_value(f"mre/pages/parsed/{page_type}")
        for problem in result.problems:
            stats.inc_value("mre/parse/problems")
            stats.inc_value(f"mre/field/{problem.field.split('[')[0]}/unparseable")
        if result.problems:
            logger.warning("%s: %d values could not be read, first: %s", response.url, len(result.problems), result.problems[0])
        return result

    def quarantine(self, response: Response, page_type: str, exc: PageError) -> None:
        from mre_crawler.extensions.bookkeeping import CrawlBookkeeping
        from mre_crawler.middlewares.cache import invalidate

        stats = self.crawler.stats
        stats.inc_value("mre/pages/quarantined")
        stats.inc_value(f"mre/pages/quarantined/{page_type}")
        if isinstance(exc, IncompletePage):
            stats.inc_value("mre/pages/incomplete")
        self.failures.append((response.url, f"quarantined: {exc.reason}"))
        logger.warning("quarantined %s: %s", response.url, exc)
        bookkeeping = self.crawler.get_extension(CrawlBookkeeping)
        if bookkeeping is not None:
            bookkeeping.quarantine_page(response, page_type, exc)
        config = config_for(self.crawler)
        if config.cache_enabled:
            # Fetch it again next time: the parser may be fixed by then, or LiveRC's page.
            invalidate(config.cache_dir, [response.url])
        self.on_quarantine(response, page_type, exc)

    def on_quarantine(self, response: Response, page_type: str, exc: PageError) -> None:
        """Hook for spiders that learn something from an unreadable page."""

    def envelope(self, response: Response, result: ParseResult, unchanged: bool = False) -> Iterator[PageItem]:
        """The page's item (or its list of row items) in the envelope the pipelines read.

        Nothing when ``unchanged``: the stored rows came from this very body.
        """
        if unchanged:
            self.crawler.stats.inc_value("mre/items/unchanged")
            return
        if not result.items:
            self.crawler.stats.inc_value("mre/pages/empty")
            return
        item = result.items[0] if len(result.items) == 1 else list(result.items)
        self.crawler.stats.inc_value("mre/items/yielded")
        self.crawler.stats.inc_value("mre/items/rows", count_rows(item))
        yield PageItem(
            url=response.url,
            page_type=result.page_type,
            fetched_at=dt.datetime.now(dt.timezone.utc),
            item=item,
            body_sha256=hashlib.sha256(response.body).hexdigest(),
            body=response.body,
            parser_version=parser_version(result.page_type),
        )

    def skip(self, what: str, count: int = 1) -> None:
        """Count something the spider chose not to follow (``mre/skipped/<what>``)."""
        if count:
            self.crawler.stats.inc_value(f"mre/skipped/{what}", count)

    # -- small shared helpers ------------------------------------------------------------------
    def event_finished(self, last_day: dt.date | None) -> bool:
        """A finished event's results pages no longer change, so they may be cached for long."""
        if last_day is None:
            return False
        days = config_for(self.crawler).event_finished_after_days
        return last_day <= dt.date.today() - dt.timedelta(days=days)


def parse_date_arg(name: str, value: str | None) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"-a {name}= must be a YYYY-MM-DD date, not {value!r}") from None
