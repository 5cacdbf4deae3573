"""Plain failure reasons and the never-connected classification (issue 9)."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as tx
from twisted.python.failure import Failure

from mre_crawler.middlewares.reachability import HostUnreachable, contacted_host, never_connected
from spiders.base import failure_reason

URL = "https://capitaloffroad.liverc.com/results/?p=view_event&id=300013"
REPLAY = "http://127.0.0.1:40000/capitaloffroad/results/?p=view_event&id=300013"


def _failure(exc: Exception) -> Failure:
    failure = Failure(exc)
    failure.request = Request(URL, meta={"download_timeout": 60})
    return failure


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (DownloadTimeoutError(f"Getting {REPLAY} took longer than 60.0 seconds."), "timed out after 60 s"),
        (CannotResolveHostError("DNS lookup failed: no results for hostname lookup: x.liverc.com."),
         "DNS lookup failed"),
        (DownloadConnectionRefusedError("Connection was refused by other side: 111"), "connection refused"),
        (tx.NoRouteError(), "no route to host"),
        (DownloadFailedError("[<twisted.python.failure.Failure twisted.internet.error.ConnectionLost>]"),
         "connection lost"),
        (ResponseDataLossError("Getting ... failed: data loss"), "connection lost (page cut short)"),
        (HttpError(Response(URL, status=503), "Ignoring non-200 response"), "HTTP 503"),
        (HostUnreachable("x.liverc.com", "DNS lookup failed"), "cannot reach x.liverc.com: DNS lookup failed"),
        (IgnoreRequest("Forbidden by robots.txt"), "Forbidden by robots.txt"),
    ],
)
def test_failure_reasons_read_plainly_and_never_name_the_replay_url(exc, reason):
    got = failure_reason(_failure(exc))
    assert got == reason
    assert "127.0.0.1" not in got


@pytest.mark.parametrize(
    ("exc", "reached"),
    [
        (CannotResolveHostError("x"), False),
        (DownloadConnectionRefusedError("x"), False),
        (tx.NoRouteError(), False),
        (tx.TCPTimedOutError(), False),
        (DownloadTimeoutError("x"), True),  # may have connected: a slow answer is not "unreachable"
        (DownloadFailedError("x"), True),
        (tx.ConnectionLost(), True),
    ],
)
def test_only_failures_before_the_connection_count_as_never_connected(exc, reached):
    assert (never_connected(exc) is None) is reached


@pytest.mark.parametrize(
    ("url", "site", "host"),
    [
        (URL, None, "capitaloffroad.liverc.com"),
        (URL, "http://127.0.0.1:40000", "127.0.0.1:40000"),  # every track shares the replay server
        (URL, "http://nonexistent.invalid:80", "nonexistent.invalid"),
        ("https://example.org:8443/x", "http://127.0.0.1:40000", "example.org:8443"),
    ],
)
def test_the_host_given_up_is_the_one_contacted(url, site, host):
    assert contacted_host(url, site) == host
