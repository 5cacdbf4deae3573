"""Bodies a crawler can be served instead of the page it asked for (hand-written, not LiveRC pages).

Every page parser must refuse them with ``WrongPageType`` rather than return an empty page.
"""

from __future__ import annotations

import pytest

NOT_PAGES: dict[str, bytes] = {
    "empty body": b"",
    "whitespace body": b"  \n ",
    "cloudflare bot check": (
        b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
        b"<body><div id='challenge-running'>Checking your browser before accessing liverc.com.</div></body></html>"
    ),
    "404 error page": b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>",
    "503 error page": (
        b"<html><head><title>503 Service Temporarily Unavailable</title></head>"
        b"<body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>"
    ),
}


@pytest.fixture(params=sorted(NOT_PAGES), ids=sorted(NOT_PAGES))
def not_a_page(request: pytest.FixtureRequest) -> bytes:
    """Each kind of non-page body in turn."""
    return NOT_PAGES[request.param]
