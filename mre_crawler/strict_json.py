"""Strict JSON text -> Python values, as ``json.loads`` gives them, about twice as fast.

:func:`loads` reads with ``msgspec``'s decoder and hands the text to ``json.loads`` whenever msgspec
refuses it. On every text msgspec reads, it gives ``json.loads``'s value (the same ints of any size,
correctly rounded floats, the last of duplicate keys, the same key order); what it refuses and
``json.loads`` reads is ``NaN``, ``Infinity``, a number beyond the float range (``1e400`` -> inf)
and an unpaired surrogate. So the value never depends on which reader took the text, only the time
does (tests/test_strict_json.py holds both readers to it on each of those forms).

``orjson`` was measured too (as fast on a race page's lap blocks), but it reads an integer beyond
64 bits as a float (``18446744073709551616`` -> ``1.8446744073709552e+19``): a changed value, not
a refusal, so it could not stand in for ``json.loads`` without a scan of the text for long digit
runs first.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

_DECODER = msgspec.json.Decoder()


def loads(text: str) -> Any:
    """``json.loads(text)``; raises ``ValueError`` (``json.JSONDecodeError``) where it does."""
    try:
        return _DECODER.decode(text)
    except (msgspec.DecodeError, UnicodeEncodeError):  # an unpaired surrogate does not encode to UTF-8
        return json.loads(text)
