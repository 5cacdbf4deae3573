"""One parser per LiveRC page type; ``parse_page`` picks one by name or by detection.

Each module ``mre_crawler.parsers.<page_type>`` exposes ``PAGE_TYPE`` and
``parse(body: bytes, url: str, meta: Mapping | None = None) -> ParseResult``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from mre_crawler.completeness import check_body
from mre_crawler.parsers.base import ParseResult
from mre_crawler.urls import PAGE_TYPES


# Bump a page type's version when its parser reads more, or differently, from the same body
# (a new field, a fixed trap): `mre reprocess` then re-parses the archived bodies of that type;
# pages whose (body, version) built the stored rows are skipped without parsing.
PARSER_VERSIONS: dict[str, int] = {page_type: 1 for page_type in PAGE_TYPES}


def parser_version(page_type: str | None) -> int | None:
    return PARSER_VERSIONS.get(page_type) if page_type else None


def parser_for(page_type: str):
    if page_type not in PAGE_TYPES:
        raise ValueError(f"unknown page type {page_type!r}; known: {', '.join(PAGE_TYPES)}")
    return importlib.import_module(f"mre_crawler.parsers.{page_type}").parse


def parse_page(
    body: bytes,
    url: str,
    page_type: str | None = None,
    meta: Mapping[str, Any] | None = None,
) -> ParseResult:
    """Parse one page. Without ``page_type`` the type is detected from the URL and the page.

    A page whose body ends before ``</html>`` raises :class:`~mre_crawler.errors.IncompletePage`
    before any parser reads it (:mod:`mre_crawler.completeness`): the crawl, ``mre parse`` and
    ``mre quarantine retry`` all come through here, so none of them stores a cut page.
    """
    if page_type is None:
        from mre_crawler.parsers.detect import detect_page_type

        page_type = detect_page_type(body, url)
    check_body(body, url, page_type)
    return parser_for(page_type)(body, url, meta)


__all__ = ["PARSER_VERSIONS", "ParseResult", "parse_page", "parser_for", "parser_version", "PAGE_TYPES"]
