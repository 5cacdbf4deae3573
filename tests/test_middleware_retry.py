"""Retry-After reading and backoff arithmetic (the waits themselves are tested in test_politeness)."""

from __future__ import annotations

import email.utils

import pytest

from mre_crawler.middlewares.retry import backoff_seconds, parse_retry_after

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (b"3", 3.0),
        (" 0 ", 0.0),
        (email.utils.formatdate(NOW + 90, usegmt=True), 90.0),  # an HTTP date 90 s ahead
        (email.utils.formatdate(NOW - 90, usegmt=True), 0.0),  # a date already past: go now
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(header, seconds):
    assert parse_retry_after(header, now=NOW) == seconds


@pytest.mark.parametrize(("attempt", "wait"), [(1, 2.0), (2, 4.0), (3, 8.0), (10, 60.0)])
def test_backoff_doubles_up_to_the_cap(attempt, wait):
    assert backoff_seconds(attempt, base=2.0, cap=60.0) == wait
