"""racerLaps as LiveRC serves them, read by msgspec straight into typed records and Laps.

The race parser's general path decodes each ``racerLaps[<id>] = {...};`` block into dicts
(:func:`mre_crawler.jsliteral.find_served_assignments`) and then builds a :class:`items.Lap` per
lap in Python, one ``float()`` and two lookups at a time; on race-6304829.html (455 laps) that
was the largest part of the parse after the tree build. Here ``msgspec`` decodes each block,
rewritten to strict JSON by :func:`mre_crawler.jsliteral.served_json`, into :class:`ServedBlock`
records, skipping the empty ``segments`` lists and reading every lap time string as a float in C.

Exact or nothing: :func:`read_served_blocks` gives the blocks, and for each its laps, exactly as
the general path reads the same text, or None for the whole page, which the parser then reads the
general way. Why each accepted value is the general path's:

- msgspec reads only valid JSON, and on it gives ``json.loads``'s values (:mod:`strict_json`);
  the block fields the parser reads (``driverName``, the three stats) are kept as decoded, and a
  missing one is None, as ``dict.get`` gives.
- ``time``: msgspec's lax string-to-float gives what ``float()`` gives, except ``"-0"``, which it
  reads as ``0.0``; any string value starting with ``-`` sends the page the general way. Times
  must also pass the general path's range check (:func:`plausible_lap_times`).
- ``lapNum`` and ``pos`` must be strings of :data:`SMALL_INTS` (what LiveRC writes), ``pace`` a
  string; a missing key, another type or another number sends the page the general way.

tests/test_racer_laps_served.py compares both paths on every form, and on every real and
generated race page.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter
from typing import Any

import msgspec

from mre_crawler import items
from mre_crawler.jsliteral import _assignment_head, served_json

# Lap numbers and running positions as LiveRC writes them ('0' to a few hundred): a dict lookup
# is about twice as fast as int().
SMALL_INTS = {str(i): i for i in range(1000)}
_ONE_DAY = 86400.0


def plausible_lap_times(times: list[float]) -> bool:
    """No negative lap, and all of them under a day (a NaN fails the sum; float() reads 'nan')."""
    return not times or (min(times) >= 0 and sum(times) < _ONE_DAY)


# gc=False: a lap holds only strings and a float, so it can be in no reference cycle, and the
# collector need not track the ~450 a race page decodes (about 3% of the parse was collection).
class _ServedLap(msgspec.Struct, gc=False):
    lapNum: str
    pos: str
    time: float  # read from its string ('37.234') in lax mode
    pace: str


class ServedBlock(msgspec.Struct, kw_only=True):
    """One racerLaps object: the fields the race parser reads."""

    driverName: Any = None
    top2Consecutive: Any = None
    stdDeviation: Any = None
    consistency: Any = None
    laps: list[_ServedLap]

    def get(self, key: str) -> Any:
        """Read like the general path's dict (``data.get("driverName")``)."""
        return getattr(self, key, None)


_DECODER = msgspec.json.Decoder(ServedBlock, strict=False)
_HEAD = _assignment_head("racerLaps")


def read_served_blocks(codes: Iterable[str]) -> list[tuple[int, ServedBlock, list[items.Lap]]] | None:
    """(driver id, block, laps with lap 0) for every racerLaps block in the script texts, in page
    order; None when any block is not in the served form this module reads exactly."""
    blocks: list[tuple[int, ServedBlock, list[items.Lap]]] = []
    for code in codes:
        if not code or "racerLaps[" not in code:
            continue
        pos = 0
        while (m := _HEAD.search(code, pos)) is not None:
            index = m[m.lastindex]
            found = served_json(code, m.end())
            if not index.isdigit() or found is None:
                return None
            text, pos = found
            if "-" in text and '"-' in text:  # '"' is frequent, '-' rare: the one-character scan first
                return None
            try:
                block = _DECODER.decode(text)
            except (msgspec.DecodeError, UnicodeEncodeError):
                return None
            laps = _laps(block.laps)
            if laps is None:
                return None
            blocks.append((int(index), block, laps))
    return blocks


_TIME = attrgetter("time")


def _laps(served: list[_ServedLap]) -> list[items.Lap] | None:
    if not plausible_lap_times(list(map(_TIME, served))):
        return None
    ints = SMALL_INTS
    Lap = items.Lap
    try:
        return [Lap(ints[lap.lapNum], lap.time, ints[lap.pos], lap.pace or None) for lap in served]
    except KeyError:
        return None
