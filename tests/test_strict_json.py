"""strict_json.loads gives json.loads's value on every text, or raises where json.loads raises."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mre_crawler import strict_json

# Each form where a fast JSON reader could part from json.loads: numbers at and past the int64 /
# uint64 / float edges (orjson reads 18446744073709551616 as a float), NaN and Infinity (json
# extensions), signed zero, duplicate keys, escapes and surrogates, and what json refuses.
TEXTS = [
    '{"a": 1, "a": 2}',
    '{"b": 1, "a": 2}',
    "[18446744073709551615, 18446744073709551616, -9223372036854775808, -9223372036854775809]",
    "[123456789012345678901234567890, -123456789012345678901234567890]",
    "[1e400, -1e400, 1e-400, 4.9e-324, 2.2250738585072011e-308, 1.7976931348623157e308]",
    "[NaN, Infinity, -Infinity]",
    "[-0, -0.0, 0.0, 0e5, -0E-2]",
    "[0.1, 37.234, 74.504, 1E5, 1.5e+3, 123456789012345678901234567890.5]",
    '["\\ud83d\\ude00", "\\u00e9", "\\n\\t\\"\\\\\\/", "\u2028"]',
    '["\\ud83d"]',  # an escaped unpaired surrogate: json reads it, msgspec refuses
    '["\ud83d"]',  # a raw unpaired surrogate in the str
    '{"driverName": "MATTHEW O\'LOUGHLIN", "laps": [{"lapNum": "0", "segments": []}]}',
    "  [1]\n",
]
REFUSED = ['["a\tb"]', "[1,]", "[01]", "[.5]", "[+1]", "[1]]", "\ufeff[1]", "[1] x", "", "{'a': 1}", "[nan]"]


def _same(a, b) -> bool:
    """Equal values, with NaN equal to NaN and -0.0 told from 0.0 (what repr shows)."""
    return repr(a) == repr(b) and type(a) is type(b)


@pytest.mark.parametrize("text", TEXTS)
def test_gives_what_json_loads_gives(text: str) -> None:
    assert _same(strict_json.loads(text), json.loads(text))


@pytest.mark.parametrize("text", REFUSED)
def test_refuses_what_json_loads_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        strict_json.loads(text)


def test_nan_is_a_float_nan() -> None:
    assert math.isnan(strict_json.loads("[NaN]")[0])


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(_JSON_VALUES)
def test_any_json_text_reads_the_same(value) -> None:
    text = json.dumps(value)
    assert _same(strict_json.loads(text), json.loads(text))
