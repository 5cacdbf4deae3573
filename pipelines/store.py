"""Store pipeline: write each page's item to PostgreSQL through :class:`mre_crawler.store.Store`.

Pages are buffered and flushed every ``MRE_STORE_BATCH_PAGES`` pages (default 50) in one
transaction, and at close. The database is ``MRE_DATABASE_URL`` (setting or environment) or the
embedded server; migrations are applied when the spider opens (idempotent, advisory-locked), and
the run is recorded in ``mre.crawl_runs`` with Scrapy's stats and the store's row counts.

Items that are not :class:`~mre_crawler.items.PageItem` pass through untouched; page items the
store has no table for yet (practice pages, until the practice issue) are counted in
``mre/store/unsupported`` and passed on.

Flushes run on one worker thread (``MRE_STORE_THREADED``, default on) so PostgreSQL's work
overlaps parsing on the other core instead of blocking Scrapy's reactor; at most one flush is in
flight (the next batch waits for it), which bounds memory. The store itself is only ever used
from that thread.

A lost database connection (PostgreSQL killed or unreachable) ends the crawl through
:func:`mre_crawler.extensions.dblost.database_lost`; the pages of the batch that failed are not
marked stored, so the next run stores them.

Settings: ``MRE_STORE_ENABLED`` (default on), ``MRE_STORE_BATCH_PAGES`` (default 50),
``MRE_STORE_THREADED`` (default on), ``MRE_DATABASE_URL``. Stats: ``mre/store/pages``, ``mre/store/rows_inserted``,
``mre/store/rows_updated``, ``mre/store/rows_removed``, ``mre/store/quarantined``.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from scrapy.exceptions import NotConfigured

from mre_crawler import items as it
from mre_crawler.extensions.dblost import database_lost, is_connection_lost, lost

log = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler: Any, url: str | None, batch_pages: int, threaded: bool = True):
        self.crawler = crawler
        self.stats = crawler.stats
        self.url = url
        self.batch_pages = batch_pages
        self.threaded = threaded
        self.conn = None
        self.archive = None  # the raw page archive (mre_crawler.archive), set by from_crawler
        self.store = None
        self.run_id: int | None = None
        self._buffer: list[it.PageItem] = []
        self._worker: ThreadPoolExecutor | None = None
        self._in_flight: tuple[int, list[it.PageItem], Future] | None = None
        # Batches handed to the database, numbered, and the number of the last one accounted for:
        # a shared-crawl worker acks a request only once the batch holding its page is committed
        # (mre_crawler.workers), and gives it back or lists it failed when that batch did not.
        self.submissions = 0
        self.commits = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        from mre_crawler.config import config_for

        config = config_for(crawler)
        if not config.store_enabled:
            raise NotConfigured("MRE_STORE_ENABLED is off")
        from mre_crawler.archive import archive_for

        pipeline = cls(crawler, crawler.settings.get("MRE_DATABASE_URL") or None, config.store_batch_pages,
                       config.store_threaded)
        pipeline.archive = archive_for(config)
        return pipeline

    def open_spider(self) -> None:
        from mre_crawler.db import connect
        from mre_crawler.store import Store
        from warehouse.migrate import migrate

        self.conn = connect(self.url, autocommit=True)
        migrate(self.conn)
        # The pipeline does the batching; the store flushes only when told to.
        self.store = Store(self.conn, batch_size=10**9, archive=self.archive)
        if self.threaded:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mre-store")
        spider = getattr(self.crawler, "spider", None)
        name = getattr(spider, "name", "unknown")
        args = {k: v for k, v in vars(spider).items() if isinstance(v, (str, int, float, bool)) and not k.startswith("_")} if spider else {}
        self.run_id = self.store.start_run(name, args)
        self.stats.set_value("mre/store/run_id", self.run_id)
        # After the extensions' handlers (they connected first): health findings are in the stats.
        from scrapy import signals

        self.crawler.signals.connect(self.finish, signal=signals.spider_closed)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, it.PageItem) or self.store is None:
            return item
        from mre_crawler.store import supports

        if not supports(item.item):
            self.stats.inc_value("mre/store/unsupported")
            return item
        if lost(self.crawler):
            # Not stored and not marked stored: the re-run fetches it again.
            self.stats.inc_value("mre/store/not_stored_database_lost")
            return item
        self._buffer.append(item)
        if len(self._buffer) >= self.batch_pages:
            self._submit()
        return item

    def _write(self, pages: list[it.PageItem]) -> Any:
        try:
            for page in pages:
                self.store.write_page(page)
        except Exception:
            self.store.discard_pages()  # listed failed with the batch: not stored with the next one
            raise
        return self.store.flush()

    def _collect(self) -> None:
        """Wait for the batch in flight and account for it. Never raises: a batch that did not
        commit is named, page by page, as not stored (a shared-crawl worker's claims on it are
        given back or listed failed, never acked as done)."""
        if self._in_flight is not None:
            (number, pages, future), self._in_flight = self._in_flight, None
            try:
                counts = future.result()
            except Exception as exc:  # noqa: BLE001 - every failure is accounted for below
                self._not_committed(number, pages, exc)
            else:
                self._count(number, counts)

    def _submit(self) -> None:
        # First the batch in flight (back-pressure: one flush in flight at most), so its outcome
        # is known before this one leaves the buffer.
        self._collect()
        pages, self._buffer = self._buffer, []
        self.submissions += 1
        number = self.submissions
        if self._worker is None:
            try:
                counts = self._write(pages)
            except Exception as exc:  # noqa: BLE001 - accounted for in _not_committed
                self._not_committed(number, pages, exc)
            else:
                self._count(number, counts)
            return
        self._in_flight = (number, pages, self._worker.submit(self._write, pages))

    def _count(self, number: int, counts: Any) -> None:
        self.commits = number
        for url, reason in counts.failed:
            self._page_not_stored(url, reason)
        scheduler = getattr(self.crawler, "mre_scheduler", None)
        if scheduler is not None:
            scheduler.committed(number, failed=counts.failed)
        for name, value in (
            ("pages", counts.pages), ("rows_inserted", counts.inserted), ("rows_updated", counts.updated),
            ("rows_removed", counts.removed), ("quarantined", counts.quarantined),
        ):
            if value:
                self.stats.inc_value(f"mre/store/{name}", value)

    def _not_committed(self, number: int, pages: list[it.PageItem], exc: BaseException) -> None:
        """Batch ``number`` did not commit: none of its pages' rows are stored. A lost database
        stops the crawl (a shared-crawl worker gives the pages' claims back for another worker);
        any other failure lists every page of the batch as failed."""
        scheduler = getattr(self.crawler, "mre_scheduler", None)
        if is_connection_lost(exc):
            if scheduler is not None:
                scheduler.not_committed(number, reason=None)
            database_lost(self.crawler, exc)
            return
        from mre_crawler.extensions.dblost import one_line

        reason = f"store failed: {one_line(exc)}"
        log.error("batch of %d pages not stored: %s", len(pages), reason)
        log.debug("the store error in full", exc_info=exc)  # -vv
        urls = [(page.url, reason) for page in pages]
        for url, why in urls:
            self._page_not_stored(url, why)
        if scheduler is not None:
            scheduler.not_committed(number, reason=reason, failed=urls)

    def _page_not_stored(self, url: str, reason: str) -> None:
        """A page whose rows did not commit: in the crawl's failed pages and counted."""
        self.stats.inc_value("mre/store/pages_failed")
        spider = getattr(self.crawler, "spider", None)
        failures = getattr(spider, "failures", None)
        if failures is not None:
            failures.append((url, reason))

    def flush_now(self) -> None:
        """Write what is buffered and wait for it (a shared-crawl worker with nothing else to do)."""
        if self.store is None or lost(self.crawler):
            return
        self._submit()  # also when no page is buffered: fetch and quarantine records are
        self._collect()

    def close_spider(self) -> None:
        """Write what is buffered; the run row is finished at ``spider_closed`` (:meth:`finish`),
        when the finish reason and the health checks' findings are known."""
        if self.store is None:
            return
        try:
            if not lost(self.crawler):
                if self._buffer:
                    self._submit()
            self._collect()
        finally:
            if self._worker is not None:
                self._worker.shutdown(wait=True)
                self._worker = None

    def finish(self, spider: Any = None, reason: str | None = None) -> None:
        if self.store is None:
            return
        try:
            if not lost(self.crawler):
                self.store.finish_run(self.run_id, self.stats.get_stats(), reason)
        except Exception as exc:
            if not is_connection_lost(exc):
                raise
            # The run row stays open; the next run closes it as aborted (its lock died with us).
            database_lost(self.crawler, exc)
        finally:
            try:
                self.conn.close()
            except Exception:  # noqa: BLE001 - closing a dead connection has nothing to report
                pass
            self.store = None
