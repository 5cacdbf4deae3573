"""A host that cannot be reached is given up after its first failures, not after every page's retries.

Without network (or with a wrong ``--site``) every request fails the same way: the DNS lookup,
or the connection is refused, or there is no route. Retrying each page with backoff only makes
the crawl take minutes to say so. Here the first ``MRE_UNREACHABLE_AFTER`` such failures in a row
for one host (by default the first attempt and its one quick retry) mark the host unreachable;
from then on its requests fail at once with :class:`HostUnreachable` (no retries, no rate slot,
no budget), the crawl runs out of work and ends, and ``mre crawl`` prints one line and exits 1.
Any answer from the host (whatever its status) resets the count.

The host is the one actually contacted: for a LiveRC URL fetched from a ``--site`` replay server,
that server (every track is unreachable together); otherwise the URL's host.

The middleware sits after the HTTP cache, so pages still fresh in the cache are served without
the network; the download handler checks again for requests that were already further along.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from twisted.internet import error as tx

from mre_crawler.config import config_for

logger = logging.getLogger(__name__)

# Failures that mean the request never reached the host, in plain words. Scrapy 2.19 wraps
# Twisted's DNS and refused errors in its own classes; the Twisted ones are kept for other handlers.
_NEVER_CONNECTED: tuple[tuple[type[BaseException], str], ...] = (
    (CannotResolveHostError, "DNS lookup failed"),
    (tx.DNSLookupError, "DNS lookup failed"),
    (DownloadConnectionRefusedError, "connection refused"),
    (tx.ConnectionRefusedError, "connection refused"),
    (tx.UnknownHostError, "DNS lookup failed"),
    (tx.NoRouteError, "no route to host"),
    (tx.TCPTimedOutError, "connection timed out"),
)


class HostUnreachable(IgnoreRequest):
    """The host of this request was found unreachable earlier in the crawl; not sent."""

    def __init__(self, host: str, reason: str):
        self.host, self.reason = host, reason
        super().__init__(f"cannot reach {host}: {reason}")


def never_connected(exception: BaseException) -> str | None:
    """Why a request never reached its host (``"DNS lookup failed"`` ...), or None if it did."""
    if isinstance(exception, HostUnreachable):
        return exception.reason
    for kind, reason in _NEVER_CONNECTED:
        if isinstance(exception, kind):
            return reason
    # Any other error while connecting (host unreachable ...), except Twisted's TimeoutError,
    # which is a ConnectError too but also ends downloads that had connected.
    if isinstance(exception, tx.ConnectError) and not isinstance(exception, tx.TimeoutError):
        return f"cannot connect ({str(exception).split(': ', 1)[-1].rstrip('.')})"
    return None


def plain_reason(exception: BaseException, request: Request | None = None) -> str:
    """A download failure in plain words: "timed out after 60 s", "connection lost" ...

    Never the replay server's address: reasons are listed under the LiveRC URL."""
    from scrapy.exceptions import DownloadFailedError, DownloadTimeoutError, ResponseDataLossError

    reason = never_connected(exception)
    if reason is not None:
        return str(exception) if isinstance(exception, HostUnreachable) else reason
    if isinstance(exception, (DownloadTimeoutError, tx.TimeoutError)):
        timeout = (request.meta.get("download_timeout") if request is not None else None)
        return f"timed out after {timeout:g} s" if isinstance(timeout, (int, float)) else "timed out"
    if isinstance(exception, ResponseDataLossError):
        return "connection lost (page cut short)"
    if isinstance(exception, (DownloadFailedError, tx.ConnectionLost, tx.ConnectionDone)):
        return "connection lost"
    if isinstance(exception, IgnoreRequest):
        return str(exception) or "ignored (robots.txt)"
    text = str(exception).strip()
    return f"{type(exception).__name__}: {text}" if text else type(exception).__name__


def contacted_host(url: str, site: str | None) -> str:
    """``host[:port]`` a request for ``url`` connects to (the replay server for LiveRC under --site)."""
    from mre_crawler.middlewares.replay import is_liverc

    if site and is_liverc(url):
        url = site
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return f"{host}:{parts.port}" if parts.port and parts.port != default else host


class Reachability:
    """Per crawler: failures in a row per host, and the hosts given up (``mre/unreachable/<host>``)."""

    def __init__(self, crawler):
        config = config_for(crawler)
        self.stats = crawler.stats
        self.site = config.site
        self.enabled = config.unreachable_enabled and not config.cassettes
        self.after = config.unreachable_after
        self.failures: dict[str, int] = {}
        self.unreachable: dict[str, str] = {}

    def host(self, request: Request) -> str:
        return contacted_host(request.url, self.site)

    def check(self, request: Request) -> None:
        """Raise :class:`HostUnreachable` when the request's host was given up."""
        if not self.unreachable:
            return
        host = self.host(request)
        if host in self.unreachable:
            self.stats.inc_value("mre/unreachable_requests")  # failed at once, never sent
            raise HostUnreachable(host, self.unreachable[host])

    def answered(self, request: Request) -> None:
        self.failures.pop(self.host(request), None)

    def failed(self, request: Request, reason: str) -> bool:
        """Count a never-connected failure; True when the host is (now) unreachable."""
        host = self.host(request)
        if host in self.unreachable:
            return True
        self.failures[host] = self.failures.get(host, 0) + 1
        if not self.enabled or self.failures[host] < self.after:
            return False
        self.unreachable[host] = reason
        self.stats.set_value(f"mre/unreachable/{host}", reason)
        # Info, not a warning: the command reports it as its one line (and exits 1).
        logger.info("cannot reach %s: %s (after %d tries); its remaining requests fail at once",
                    host, reason, self.failures[host])
        return True


def reachability_for(crawler) -> Reachability:
    """The crawler's one :class:`Reachability` (made on first use)."""
    from mre_crawler.middlewares.pause import per_crawler

    return per_crawler(crawler, "_mre_reachability", Reachability)


class UnreachableHostMiddleware:
    """Fails a given-up host's requests at once and stops retries to it (placed after the cache)."""

    def __init__(self, crawler):
        config = config_for(crawler)
        if not config.unreachable_enabled:
            raise NotConfigured("MRE_UNREACHABLE_ENABLED is off")
        self.reachability = reachability_for(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        self.reachability.check(request)
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        self.reachability.answered(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, HostUnreachable):
            return None
        reason = never_connected(exception)
        if reason is not None and self.reachability.failed(request, reason):
            # Raising here ends the exception chain: the retry middleware never sees it, so the
            # page fails now, with a plain reason, instead of after its backoff retries.
            raise HostUnreachable(self.reachability.host(request), reason)
        return None
