"""Date ranges for practice commands: explicit, forward, at most 3 calendar months.

LiveRC's practice pages are cheap one by one but a track has years of them; a bounded range keeps
one call at a few dozen requests (ARCHITECTURE.md "Bounded discovery").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MAX_MONTHS = 3


class RangeError(ValueError):
    """A range the practice commands refuse; the message is the one-line reason."""


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole calendar months, clamped to the month's last day (Jan 31 + 1 = Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise ValueError(f"{day} moved by {months} months is outside the calendar (years 1 to 9999)")
    for d in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, d))
        except ValueError:
            continue
    raise ValueError(f"no day of {year}-{month:02d}")  # cannot happen: every month has a 28th


@dataclass(frozen=True)
class DayRange:
    first: dt.date
    last: dt.date

    @property
    def months(self) -> list[str]:
        """The ``YYYY-MM`` months the range touches (one month view each)."""
        out, day = [], self.first.replace(day=1)
        while day <= self.last:
            out.append(day.strftime("%Y-%m"))
            if day.year == dt.MAXYEAR and day.month == 12:
                break
            day = add_months(day, 1)
        return out

    def __contains__(self, day: dt.date) -> bool:
        return self.first <= day <= self.last

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def parse_date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise RangeError(f"{option} must be a YYYY-MM-DD date, not {text!r}") from None


def day_range(date_from: str | dt.date | None, date_to: str | dt.date | None, date: str | dt.date | None = None,
              *, required: bool = True) -> DayRange | None:
    """The range a command was given: ``--date D`` or ``--from A --to B`` (both required)."""
    if date is not None and (date_from is not None or date_to is not None):
        raise RangeError("give --date, or --from and --to, not both")
    if date is not None:
        d = date if isinstance(date, dt.date) else parse_date(date, "--date")
        return DayRange(d, d)
    if date_from is None and date_to is None:
        if required:
            raise RangeError("an explicit range is required: --from YYYY-MM-DD --to YYYY-MM-DD (at most 3 months), "
                             "or --date YYYY-MM-DD")
        return None
    if date_from is None or date_to is None:
        raise RangeError("give both --from and --to (at most 3 months apart)")
    first = date_from if isinstance(date_from, dt.date) else parse_date(date_from, "--from")
    last = date_to if isinstance(date_to, dt.date) else parse_date(date_to, "--to")
    if last < first:
        raise RangeError(f"reversed range: --to {last} is before --from {first}")
    if (first.year, first.month) < (dt.MAXYEAR, 13 - MAX_MONTHS) and last >= add_months(first, MAX_MONTHS):
        raise RangeError(f"range too long: {first} to {last} is more than {MAX_MONTHS} months "
                         f"(the longest range from {first} ends {add_months(first, MAX_MONTHS) - dt.timedelta(days=1)})")
    return DayRange(first, last)


_AGE = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$", re.IGNORECASE)


def older_than_cutoff(text: str, today: dt.date | None = None) -> dt.date:
    """``6m`` -> the date 6 months before today; days strictly before it are "older than 6m"."""
    m = _AGE.match(text or "")
    if not m:
        raise RangeError(f"--older-than wants an age like 30d, 8w, 6m or 1y, not {text!r}")
    digits, unit = m[1].lstrip("0") or "0", m[2].lower()
    if digits == "0":
        raise RangeError("--older-than must be a positive age")
    today = today or dt.date.today()
    too_old = RangeError(f"--older-than {text.strip()} reaches before year 1; give a smaller age")
    if len(digits) > 7:  # more than any calendar holds (and int() of thousands of digits refuses)
        raise too_old
    n = int(digits)
    try:
        if unit == "d":
            return today - dt.timedelta(days=n)
        if unit == "w":
            return today - dt.timedelta(weeks=n)
        if unit == "m":
            return add_months(today, -n)
        return add_months(today, -12 * n)
    except (OverflowError, ValueError):
        raise too_old from None
