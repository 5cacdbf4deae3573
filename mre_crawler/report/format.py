"""How numbers and names read on the report's pages (rounded where people read them)."""

from __future__ import annotations

import datetime as dt
import re

from mre_crawler.bumpups.report import ordinal

__all__ = ["duration", "lap", "ordinal", "plural", "race_time", "slug", "when"]


def lap(seconds: float | None) -> str:
    """A lap time: 3 decimals, as LiveRC prints them."""
    return "" if seconds is None else f"{seconds:.3f}"


def race_time(seconds: float | None) -> str:
    """A race's total time as m:ss.sss."""
    if seconds is None:
        return ""
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:06.3f}"


def duration(seconds: float | None) -> str:
    """Track time as "2 h 05 min" / "7 min"."""
    if seconds is None:
        return ""
    minutes = int(round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def when(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def slug(text: str) -> str:
    """A file-name part from a track slug or class name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def plural(n: int | None, word: str) -> str:
    """"1 event", "3 events"."""
    n = n or 0
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
