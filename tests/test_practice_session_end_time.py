"""The practice session's fast lap end-time reader gives strptime's value, or its error, on every text."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from mre_crawler.parsers.practice_session import _iso_end

FORMAT = "%Y-%m-%d %H:%M:%S"


def strptime_or_error(text: str):
    try:
        return dt.datetime.strptime(text, FORMAT)
    except ValueError as exc:
        return ("error", str(exc))


def ours_or_error(text: str):
    try:
        return _iso_end(text)
    except ValueError as exc:
        return ("error", str(exc))


DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=5)
FIELD = st.one_of(DIGITS, st.sampled_from(["00", "12", "23", "24", "31", "59", "60", "61", "99", "0", "٢", " 7", "+1"]))


@given(st.tuples(FIELD, FIELD, FIELD, FIELD, FIELD, FIELD), st.sampled_from([" ", "  ", "T", "\t"]))
def test_any_six_fields_read_as_strptime_reads_them(fields, gap) -> None:
    y, mo, d, h, mi, s = fields
    text = f"{y}-{mo}-{d}{gap}{h}:{mi}:{s}"
    assert ours_or_error(text) == strptime_or_error(text)


@given(st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31)))
def test_every_moment_as_lapsobj_writes_it(moment) -> None:
    text = moment.replace(microsecond=0).strftime(FORMAT)
    assert _iso_end(text) == dt.datetime.strptime(text, FORMAT)


@pytest.mark.parametrize("text", ["", "2025-10-25", "2025-10-25 14:44", "2025-02-29 10:00:00", "2025-13-01 00:00:00",
                                  "2025-10-25 14:44:10 ", "2025-10-25 14:44:10.5", "２０２５-10-25 14:44:10"])
def test_texts_strptime_refuses_or_reads_otherwise(text) -> None:
    assert ours_or_error(text) == strptime_or_error(text)
