"""A lost database ends the crawl at once, in one line, with nothing half-stored.

When PostgreSQL goes away mid-crawl (killed, restarted, network cut), fetching on would only spend
LiveRC's budget on pages that cannot be stored. Every place that talks to the database during a
crawl (the store pipeline, its worker thread's flushes, bookkeeping, the politeness ledger, the
practice pipeline) hands such an error to :func:`database_lost`, which records the reason once in
the stats (``mre/database_lost``), closes the spider with finish reason ``database_lost`` and lets
the command print "database connection lost after N pages; re-run to resume" and exit 1. Pages
whose rows did not commit carry no "stored" marker (``stored_pages`` commits with the rows), so
the re-run fetches and stores exactly them. :class:`DatabaseLostSpiderMiddleware` is the safety
net for spider callbacks that read the database (skip-unchanged, practice planning).
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg

from mre_crawler.db import DatabaseUnavailable

logger = logging.getLogger(__name__)

LOST = "mre/database_lost"
FINISH_REASON = "database_lost"


def is_connection_lost(exc: BaseException) -> bool:
    """A failure of the connection itself, not of one statement (a bad row is quarantined instead).

    psycopg files deadlocks and serialization failures (SQLSTATE class 40) under OperationalError
    too; those are retried by the store, not a lost database. Lost means: no SQLSTATE at all (the
    socket closed: "server closed the connection unexpectedly"), class 08 (connection exception)
    or 57P (the server shut down or is starting)."""
    if isinstance(exc, (psycopg.InterfaceError, DatabaseUnavailable)):
        return True
    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = getattr(exc, "sqlstate", None)
    return state is None or state.startswith(("08", "57P"))


def one_line(exc: BaseException) -> str:
    """The reason in one line: libpq's first line says it ("server closed the connection
    unexpectedly"); the rest is advice. A refused connection (DatabaseUnavailable) is one line."""
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def database_lost(crawler: Any, exc: BaseException) -> None:
    """Record the loss (first time only) and close the spider; call from Scrapy's thread."""
    stats = crawler.stats
    if stats.get_value(LOST) is not None:
        return
    reason = one_line(exc)
    stats.set_value(LOST, reason)
    logger.warning("database connection lost (%s): stopping the crawl", reason)
    logger.debug("the database error in full", exc_info=exc)  # -vv
    engine = getattr(crawler, "engine", None)
    if engine is not None and engine.spider is not None:
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(engine.close_spider_async(reason=FINISH_REASON))


def lost(crawler: Any) -> bool:
    """True once the crawl has lost its database."""
    try:
        return crawler.stats.get_value(LOST) is not None
    except RuntimeError:  # stats not set up yet
        return False


class DatabaseLostSpiderMiddleware:
    """A callback that raised a connection error ends the crawl quietly instead of a traceback."""

    def __init__(self, crawler: Any):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> DatabaseLostSpiderMiddleware:
        return cls(crawler)

    def process_spider_exception(self, response: Any, exception: BaseException) -> list | None:
        if is_connection_lost(exception):
            database_lost(self.crawler, exception)
            return []
        return None
