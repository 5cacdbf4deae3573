"""Crawl bookkeeping: a crawl run row, one fetch record per response, quarantined pages.

The store pipeline (``pipelines/store.py``) opens the crawl's :class:`mre_crawler.store.Store` and
its run before the spider opens; this extension writes through that same store, so fetches,
quarantine rows and page rows carry one ``run_id`` and go out in the same batched transactions.
With the store pipeline switched off (``MRE_STORE_ENABLED=0``) it opens a store and run of its own.
"""

from __future__ import annotations

import hashlib
import logging
import os
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from mre_crawler.config import config_for
from scrapy.http import Request, Response

from mre_crawler.errors import PageError
from mre_crawler.urls import BadURL, read_url

logger = logging.getLogger(__name__)

ID_KEYS = ("track_slug", "event_id", "race_id", "points_id", "session_id")


def database_url_for(crawler: Any) -> str:
    """``MRE_DATABASE_URL`` from the crawl's settings, else the environment / embedded server."""
    url = crawler.settings.get("MRE_DATABASE_URL") or os.environ.get("MRE_DATABASE_URL")
    if url:
        return url
    from mre_crawler.db import database_url

    return database_url()


def shared_store(crawler: Any):
    """The crawl's one Store (created on first use, on its own connection)."""
    store = getattr(crawler, "mre_store", None)
    if store is None:
        from mre_crawler.db import connect
        from mre_crawler.store import Store

        from mre_crawler.archive import archive_for

        config = config_for(crawler)
        store = Store(connect(database_url_for(crawler)), batch_size=config.store_batch_pages,
                      archive=archive_for(config))
        crawler.mre_store = store
    return store


class CrawlBookkeeping:
    def __init__(self, crawler):
        if not config_for(crawler).bookkeeping_enabled:
            raise NotConfigured("MRE_BOOKKEEPING_ENABLED is off")
        self.crawler = crawler
        self.run_id: int | None = None
        self.pipeline_store = None  # the store pipeline's Store, for its totals at the end
        self.known_bodies: dict[str, dict[str, str]] = {}  # host -> {url: body sha256}
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _pipeline(self):
        from pipelines.store import StorePipeline

        pipeline = self.crawler.get_item_pipeline(StorePipeline)
        return pipeline if pipeline is not None and pipeline.store is not None else None

    def store(self):
        pipeline = self._pipeline()
        return pipeline.store if pipeline is not None else shared_store(self.crawler)

    def spider_opened(self, spider) -> None:
        pipeline = self._pipeline()
        if pipeline is not None:
            self.run_id = pipeline.run_id
            self.pipeline_store = pipeline.store
        else:
            args = {k: v for k, v in vars(spider).items() if isinstance(v, (str, int, float, bool)) and not k.startswith("_")}
            self.run_id = shared_store(self.crawler).start_run(spider.name, args)
        self.crawler.stats.set_value("mre/run_id", self.run_id)

    def response_received(self, response: Response, request: Request, spider=None) -> None:
        from mre_crawler.middlewares.redirect import requested_url

        if request.url.endswith("/robots.txt"):
            return
        # After a followed same-page redirect (http -> https, a trailing slash) the page is
        # recorded under the URL the spider asked for, as its items are.
        url = requested_url(request)
        page_type = request.meta.get("page_type")
        if page_type is None:
            try:
                page_type = read_url(url).page_type
            except BadURL:
                page_type = None
        body = response.body or b""
        # Into the raw page archive, with the ids a re-parse needs; not a body known to be cut
        # short (it is quarantined, and the next fetch brings the whole page).
        keep = body if not request.meta.get("mre_cut_body") else None
        self.store().record_fetch(
            url, page_type, response.status, hashlib.sha256(body).hexdigest(), len(body),
            from_cache="cached" in response.flags, body=keep,
            meta={k: request.meta[k] for k in ID_KEYS if request.meta.get(k) is not None},
            rendered="playwright" in response.flags,
        )

    def stored_body(self, url: str) -> str | None:
        """The hash of the body whose rows are stored for ``url`` (not in quarantine), or None.

        Read from ``stored_pages``, whose marker commits in the same transaction as the page's
        rows, so a crawl killed at any instant never leaves a page that looks stored but is not.
        Loaded once per track (one query), so asking costs nothing per page.
        """
        host = url.split("://", 1)[-1].split("/", 1)[0]
        known = self.known_bodies.get(host)
        if known is None:
            import psycopg

            from mre_crawler.extensions.dblost import database_lost, is_connection_lost

            prefix = f"https://{host}/"
            try:
                known = self._stored_bodies(psycopg, prefix)
            except Exception as exc:
                if not is_connection_lost(exc):
                    raise
                database_lost(self.crawler, exc)
                return None
            self.known_bodies[host] = known
        return known.get(url)

    def _stored_bodies(self, psycopg, prefix: str) -> dict[str, str]:
        with psycopg.connect(database_url_for(self.crawler), autocommit=True, connect_timeout=10) as conn:
            return dict(conn.execute(
                """SELECT f.url, f.body_sha256 FROM mre.stored_pages f
                   WHERE f.url LIKE %s
                     AND NOT EXISTS (SELECT 1 FROM mre.quarantine q
                                     WHERE q.url = f.url AND q.resolved_at IS NULL)""",
                (prefix.replace("_", r"\_").replace("%", r"\%") + "%",),
            ).fetchall())

    def quarantine_page(self, response: Response, page_type: str, exc: PageError) -> None:
        ids = {k: response.meta[k] for k in ID_KEYS if response.meta.get(k) is not None}
        # The ids travel with the body: a race page does not show its event (FIELD-GUIDE §0), so
        # `mre quarantine retry` needs them to re-parse the page without re-crawling.
        self.store().quarantine(
            response.url, page_type, response.body, exc.reason,
            raw={"meta": ids, "error": type(exc).__name__, "field": exc.field},
        )

    def spider_closed(self, spider, reason: str) -> None:
        stats = self.crawler.stats
        store = getattr(self.crawler, "mre_store", None)
        if store is not None:
            from mre_crawler.extensions.dblost import database_lost, is_connection_lost, lost

            try:
                if lost(self.crawler):
                    return
                totals = store.finish_run(self.run_id, dict(stats.get_stats()), reason)
            except Exception as exc:
                if not is_connection_lost(exc):
                    raise
                database_lost(self.crawler, exc)
                return
            finally:
                try:
                    store.conn.close()
                except Exception:  # noqa: BLE001 - a dead connection closes with nothing to say
                    pass
                self.crawler.mre_store = None
        elif self.pipeline_store is not None:
            # The store pipeline closes (and finishes the run) before this signal; read its totals.
            totals = self.pipeline_store.totals
        else:
            return
        stats.set_value("mre/store/pages", totals.pages)
        stats.set_value("mre/store/rows_inserted", totals.inserted)
        stats.set_value("mre/store/rows_updated", totals.updated)
        stats.set_value("mre/store/rows_removed", totals.removed)
        stats.set_value("mre/store/quarantined", totals.quarantined)
        stats.set_value("mre/store/by_table", {k: list(v) for k, v in totals.by_table.items()})


def crawler_resource(crawler, attr: str, open_resource):
    """One shared resource per crawler (a database connection), made on first use and closed when
    the spider closes. ``open_resource()`` makes it; the resource needs a ``close()``."""
    resource = getattr(crawler, attr, None)
    if resource is None:
        resource = open_resource()
        setattr(crawler, attr, resource)

        def close(spider=None):
            resource.close()
            setattr(crawler, attr, None)

        crawler.signals.connect(close, signal=signals.spider_closed, weak=False)
    return resource
