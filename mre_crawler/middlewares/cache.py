"""HTTP cache with an expiry per LiveRC page type, keyed by the real LiveRC URL.

- **Expiry** (:class:`PageTypeCachePolicy`): practice month 24 h, practice day overview 1 h,
  practice session 15 min (issue 4); dashboard, events list and event page 1 h (they change while
  an event runs); race, entry list and points pages 30 days once their event is finished (the
  spider says so in ``meta["event_finished"]``), 10 minutes before that. Every value is an
  ``MRE_CACHE_TTL_*`` setting. Only 200 responses are kept, so an error page never sticks, and
  only whole ones (:func:`mre_crawler.completeness.cut_reason`), so a cut page never does either.
- **Storage** (:class:`SqliteCacheStorage`): one SQLite file under ``MRE_HOME/httpcache`` shared by
  all spiders (Scrapy's filesystem storage keeps one folder per spider, so ``mre crawl track``
  would not reuse what ``mre crawl event`` fetched, and writes seven files per page). The key is
  the canonical LiveRC URL, never the ``--site`` URL.
- **Invalidation**: :func:`invalidate` removes pages whose stored copy a newer fetch made stale.
  When an event page comes back changed, its race, entry list and points pages are dropped
  (:class:`EventChangeInvalidationMiddleware`); a page that failed to parse is dropped by the
  spider, so the next crawl fetches it again.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes
from w3lib.url import canonicalize_url

from mre_crawler.completeness import cut_reason
from mre_crawler.config import CacheTTL, CrawlConfig, config_for
from mre_crawler.urls import BadURL, read_url

logger = logging.getLogger(__name__)

RESULT_PAGES = ("race_result", "entry_list", "qual_points", "heat_sheet", "round_ranking",
                "overall_ranking", "multi_main")


def ttl_for(url: str, event_finished: bool | None, ttl: CacheTTL) -> int:
    """Seconds a cached copy of ``url`` stays fresh."""
    try:
        page_type = read_url(url).page_type
    except BadURL:
        return 0  # robots.txt and anything else: always ask again
    if page_type in RESULT_PAGES:
        return ttl.results_finished if event_finished else ttl.results_live
    return {
        "track_catalogue": ttl.catalogue,
        "track_dashboard": ttl.dashboard,
        "track_events": ttl.events,
        "event": ttl.event,
        "practice_month": ttl.practice_month,
        "practice_day_overview": ttl.practice_day,
        "practice_session": ttl.practice_session,
    }.get(page_type, 0)


class PageTypeCachePolicy:
    def __init__(self, settings):
        self.ttl = CrawlConfig.from_settings(settings).cache_ttl

    def should_cache_request(self, request: Request) -> bool:
        return request.method == "GET" and ttl_for(request.url, True, self.ttl) > 0

    def should_cache_response(self, response: Response, request: Request) -> bool:
        # A page cut short is never kept: cached, it would stand in for the page for 30 days
        # after a later fetch came back whole (issue 9). The body is still as it came off the wire.
        return response.status == 200 and cut_reason(response.body, response.headers) is None

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        if request.meta.get("playwright"):
            return False  # a render asked for: the browser fetches it, and its DOM is then kept
        if cut_reason(cachedresponse.body, cachedresponse.headers) is not None:
            return False  # a cut copy stored before this check existed: fetch the page again
        stored_at = request.meta.get("cache_timestamp")
        if stored_at is None:
            return False
        ttl = ttl_for(request.url, request.meta.get("event_finished"), self.ttl)
        return time.time() - stored_at < ttl

    def is_cached_response_valid(self, cachedresponse: Response, response: Response, request: Request) -> bool:
        # LiveRC sends no validators (ETag/Last-Modified); a fresh fetch always replaces the copy,
        # except when the fetch failed with a server error and the old copy can stand in
        # (never a cut one).
        return response.status >= 500 and cut_reason(cachedresponse.body, cachedresponse.headers) is None


def cache_key(url: str) -> str:
    return canonicalize_url(url)


class SqliteCacheStorage:
    """Cached responses in ``<cache dir>/pages.sqlite`` (WAL: several processes may share it)."""

    def __init__(self, settings):
        self.path = CrawlConfig.from_settings(settings).cache_dir / "pages.sqlite"
        self.db: sqlite3.Connection | None = None
        self.lock = threading.Lock()

    def open_spider(self, spider) -> None:
        self.db = open_cache(self.path)

    def close_spider(self, spider) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def retrieve_response(self, spider, request: Request) -> Response | None:
        assert self.db is not None
        with self.lock:
            row = self.db.execute(
                "SELECT status, headers, body, stored_at FROM pages WHERE url = ?", (cache_key(request.url),)
            ).fetchone()
        if row is None:
            return None
        status, raw_headers, body, stored_at = row
        headers = Headers(_headers_from_text(raw_headers))
        request.meta["cache_timestamp"] = stored_at
        cls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return cls(url=request.url, status=status, headers=headers, body=body)

    def store_response(self, spider, request: Request, response: Response) -> None:
        assert self.db is not None
        store(self.db, request.url, response.status, response.headers, response.body, self.lock)


def open_cache(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        """CREATE TABLE IF NOT EXISTS pages (
               url TEXT PRIMARY KEY, status INTEGER NOT NULL, headers TEXT NOT NULL,
               body BLOB NOT NULL, sha256 TEXT NOT NULL, stored_at REAL NOT NULL)"""
    )
    return db


def store(db: sqlite3.Connection, url: str, status: int, headers: Headers, body: bytes,
          lock: threading.Lock | None = None) -> None:
    row = (cache_key(url), status, _headers_to_text(headers), body, hashlib.sha256(body).hexdigest(), time.time())
    with lock or threading.Lock():
        db.execute("INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?)", row)


def cached_sha256(db: sqlite3.Connection, url: str) -> str | None:
    row = db.execute("SELECT sha256 FROM pages WHERE url = ?", (cache_key(url),)).fetchone()
    return row[0] if row else None


def invalidate(cache_dir: Path, urls: Iterable[str]) -> int:
    """Drop the cached copies of ``urls``; how many were there."""
    path = Path(cache_dir) / "pages.sqlite"
    if not path.exists():
        return 0
    db = open_cache(path)
    try:
        keys = [(cache_key(u),) for u in urls]
        before = db.total_changes
        db.executemany("DELETE FROM pages WHERE url = ?", keys)
        return db.total_changes - before
    finally:
        db.close()


def _headers_to_text(headers: Headers) -> str:
    lines = []
    for name, values in headers.items():
        for value in values:
            lines.append(f"{name.decode('latin-1')}: {value.decode('latin-1')}")
    return "\n".join(lines)


def _headers_from_text(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        name, _, value = line.partition(": ")
        out.setdefault(name, []).append(value)
    return out


class PageTypeCacheMiddleware(HttpCacheMiddleware):
    """Scrapy's HttpCacheMiddleware, switched by ``MRE_CACHE_ENABLED``, with MRE's policy and storage."""

    @classmethod
    def from_crawler(cls, crawler):
        config = config_for(crawler)
        if not config.cache_enabled:
            raise NotConfigured("MRE_CACHE_ENABLED is off")
        return super().from_crawler(crawler)


class EventChangeInvalidationMiddleware:
    """A freshly fetched event page that differs from its cached copy drops its results pages.

    Sits just below the cache (its ``process_response`` runs before the cache stores the new copy),
    so it can still compare with the old one. A race re-run, a late penalty or a new main changes
    the event page; the long-lived race pages it links are then fetched again.
    """

    def __init__(self, crawler):
        config = config_for(crawler)
        if not config.cache_enabled:
            raise NotConfigured("MRE_CACHE_ENABLED is off")
        self.cache_dir = config.cache_dir
        self.stats = crawler.stats
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status != 200 or "cached" in response.flags:
            return response
        try:
            page = read_url(request.url)
        except BadURL:
            return response
        if page.page_type != "event":
            return response
        path = self.cache_dir / "pages.sqlite"
        if not path.exists():
            return response
        db = open_cache(path)
        try:
            old = cached_sha256(db, request.url)
            if old is None or old == hashlib.sha256(response.body).hexdigest():
                return response
            old_body = db.execute("SELECT body FROM pages WHERE url = ?", (cache_key(request.url),)).fetchone()[0]
        finally:
            db.close()
        stale = linked_results_pages(old_body, request.url, page.slug, page.id) | linked_results_pages(
            response.body, request.url, page.slug, page.id
        )
        dropped = invalidate(self.cache_dir, stale)
        self.stats.inc_value("mre/cache/invalidated", dropped)
        logger.info("event page %s changed: dropped %d cached results pages", request.url, dropped)
        return response


def linked_results_pages(body: bytes, url: str, slug: str | None, event_id: int | None) -> set[str]:
    """The race, entry list, points, multi-main, heat sheet and ranking URLs an event page links (read by the event parser)."""
    from mre_crawler.errors import PageError
    from mre_crawler.parsers import parse_page
    from mre_crawler.urls import entry_list_url, race_url

    try:
        event = parse_page(body, url, "event", {"track_slug": slug, "event_id": event_id}).item
    except (PageError, ValueError):
        return set()
    urls = {race_url(slug, r.race_id) for r in event.races}
    urls |= {link.url for link in event.links
             if link.kind in ("points", "entry_list", "multi_main", "heat_sheet", "round_ranking", "overall_ranking")}
    if event_id is not None:
        urls.add(entry_list_url(slug, event_id))
    return urls
