"""Local wall clock -> UTC for practice sessions and laps, with the DST rule.

LiveRC prints local wall-clock times only (FIELD-GUIDE §0). The base rule is the store's
(:func:`mre_crawler.timezones.local_to_utc`): an **ambiguous** time (the hour repeated when clocks
go back) is the first occurrence, a **nonexistent** time (the hour skipped when clocks go forward)
is shifted forward by the gap, no zone gives no instant; each such value is flagged.

Practice adds one rule, because a session's times are a sequence: within a session, the start
and then each lap end in order never go back in UTC. An ambiguous lap end that would land before
the previous moment of the same session is read as the *second* occurrence (the clock has already
gone back), and is still flagged ``ambiguous``.

A session that crosses midnight belongs to the day it started (its start date); its later lap
ends and its end simply carry the next day's date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from mre_crawler.timezones import FLAG_AMBIGUOUS, local_to_utc


@dataclass(frozen=True)
class Instant:
    local: dt.datetime | None
    utc: dt.datetime | None
    flag: str | None


def resolve(local: dt.datetime | None, zone: str | None, not_before: dt.datetime | None = None) -> Instant:
    """One local time; ``not_before`` (UTC) is the previous moment of the same session."""
    utc, flag = local_to_utc(local, zone)
    if flag == FLAG_AMBIGUOUS and not_before is not None and utc is not None and utc < not_before:
        second = local.replace(tzinfo=ZoneInfo(zone), fold=1).astimezone(dt.timezone.utc)
        utc = second
    return Instant(local, utc, flag)


def resolve_sequence(locals_: list[dt.datetime | None], zone: str | None,
                     not_before: dt.datetime | None = None) -> list[Instant]:
    """A session's moments in order (start, lap ends ..., end), UTC never going back."""
    out: list[Instant] = []
    previous = not_before
    for local in locals_:
        instant = resolve(local, zone, previous)
        out.append(instant)
        if instant.utc is not None:
            previous = instant.utc if previous is None else max(previous, instant.utc)
    return out
