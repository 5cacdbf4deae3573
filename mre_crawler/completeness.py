"""Completeness before trust: a page that is not whole is never stored, cached or used to mark
rows removed (issue 9, "Nothing lost, nothing wrong").

A LiveRC page can come back as a complete-looking ``200`` that is not whole. Two levels catch it:

- **The body** (here). Every saved LiveRC page ends with ``</html>`` (all twelve in
  ``../shared/liverc``, every page type including the three practice pages, end
  ``</body>\\n</html>\\n``), and so does every page the sample-site generator writes. A body that
  stops before it, or whose length disagrees with its ``Content-Length``, was cut in transit: it is
  retried like a 5xx (:class:`mre_crawler.middlewares.whole.CutBodyRetryMiddleware`), never cached
  (:class:`mre_crawler.middlewares.cache.PageTypeCachePolicy`), and when the retries are used up the
  spider quarantines it (:func:`mre_crawler.parsers.parse_page` raises :class:`IncompletePage`).
- **The content** (the parsers): a results row with fewer cells than the header, racerLaps drivers
  without a row (or rows whose driver has no racerLaps), an entry list class whose printed
  ``Entries: N`` its rows contradict, a practice day whose ``Total Laps`` its sessions contradict.
  Each raises :class:`IncompletePage` from the parser that reads those rows, so the check costs no
  second parse.

Only ``</html>`` near the end is looked for (the last kilobyte), so the body check costs a few
microseconds on a 160 KB race page.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

from mre_crawler.errors import IncompletePage

HTML_END = b"</html>"
_TAIL = 1024  # "</html>" must sit in the last kilobyte (real pages: the last 8 bytes)
_ZLIB_ENCODINGS = {b"gzip": 47, b"x-gzip": 47, b"deflate": 47}  # wbits 32+15: gzip or zlib header


def ends_whole(body: bytes) -> bool:
    """Whether ``body`` (a decoded HTML page) ends with its closing ``</html>`` tag."""
    return HTML_END in body[-_TAIL:].lower()


def _header(headers: Any, name: bytes) -> bytes | None:
    if headers is None:
        return None
    value = headers.get(name) if not isinstance(headers, Mapping) else (headers.get(name) or headers.get(name.decode()))
    if isinstance(value, list):
        value = value[-1] if value else None
    if isinstance(value, str):
        value = value.encode("latin-1")
    return value


def _decoded(body: bytes, encoding: bytes) -> tuple[bytes | None, str | None]:
    """(decoded body, None), (None, why it is cut) or (None, None) for an encoding not checked here."""
    wbits = _ZLIB_ENCODINGS.get(encoding.strip().lower())
    if wbits is None:
        return None, None  # br/zstd: only the Content-Length rule applies at this level
    inflater = zlib.decompressobj(wbits)
    try:
        data = inflater.decompress(body) + inflater.flush()
    except zlib.error as exc:
        return None, f"the {encoding.decode('latin-1')} body does not decode ({exc})"
    if not inflater.eof:
        return None, f"the {encoding.decode('latin-1')} stream ends early"
    return data, None


def cut_reason(body: bytes, headers: Any = None) -> str | None:
    """Why a response body, as it came off the wire, is cut short; None when it is whole.

    ``headers`` are the response's (Scrapy ``Headers`` or a plain mapping). Use this below
    Scrapy's HttpCompressionMiddleware, where ``Content-Length`` still describes ``body``; above
    it the body is decoded but the header is not updated, so only :func:`ends_whole` applies there.
    """
    length = _header(headers, b"Content-Length")
    if length is not None and length.strip().isdigit() and int(length) != len(body):
        return f"Content-Length says {int(length)} bytes, the body has {len(body)}"
    encoding = _header(headers, b"Content-Encoding")
    if encoding and encoding.strip().lower() != b"identity":
        decoded, why = _decoded(body, encoding)
        if why is not None:
            return why
        if decoded is None:
            return None
        body = decoded
    if not ends_whole(body):
        return "the body ends before </html>"
    return None


def check_body(body: bytes, url: str, page_type: str) -> None:
    """Raise :class:`IncompletePage` when a (decoded) page body ends before ``</html>``.

    An empty body is left to the parsers, which name it (``WrongPageType`` "empty").
    """
    if body and body.strip() and not ends_whole(body):
        raise IncompletePage(page_type, url, "not whole: the body ends before </html>", "body")
