"""Validate pipeline: keep rows that contradict their own page out of the tables.

Checks on a race page (:class:`~mre_crawler.items.Race`), each row against LiveRC's own figures:

- the lap list has as many laps as Laps/Time says (DNS rows: no laps, count 0 or empty);
- the lap times add up to the Laps/Time total within 0.01 s (LiveRC's totals equal the sum
  exactly for finishers and retirees, FIELD-GUIDE §5.2);
- the row has a LiveRC driver id (the natural key; the parser recovers DNS ids from racerLaps);
- positions run 1..N without repeats or gaps.

Rule: **the page's good rows are stored; a bad row goes to quarantine** (with its reason and its
fields as read). A row failing a row check is removed from the item and listed in
``PageItem.rejected`` (item key ``driver:<id>``, or ``position:<n>`` without an id); the store
writes it to ``mre.quarantine`` and does not mark it removed. A repeated position rejects every
row holding it. A gap in positions (a row the parser had to skip) is race-level: the rows are
each fine and are stored, and the race gets a quarantine entry with item key ``positions``.

Setting: ``MRE_VALIDATE_ENABLED`` (default on). Stats: ``mre/validate/rejected_rows``,
``mre/validate/rejected/<check>``.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from scrapy.exceptions import NotConfigured

from mre_crawler import items as it
from mre_crawler.config import config_for

LAP_SUM_TOLERANCE = 0.01  # seconds


class ValidatePipeline:
    def __init__(self, stats: Any = None):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> ValidatePipeline:
        if not config_for(crawler).validate_enabled:
            raise NotConfigured("MRE_VALIDATE_ENABLED is off")
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, it.PageItem) and isinstance(item.item, it.Race):
            item.item, rejected = validate_race(item.item)
            item.rejected.extend(rejected)
            if self.stats is not None:
                for r in rejected:
                    self.stats.inc_value("mre/validate/rejected_rows")
                    self.stats.inc_value(f"mre/validate/rejected/{r.reason.split(':')[0].replace(' ', '_')}")
        return item


def row_problem(res: it.RaceResult) -> str | None:
    """Why one result row contradicts itself, or None."""
    if res.driver_id is None:
        return "no driver id: the row cannot be keyed"
    laps_listed = len(res.lap_list)
    laps_printed = res.laps or 0
    if laps_listed != laps_printed:
        return f"lap count mismatch: {laps_listed} laps listed, Laps/Time says {laps_printed}"
    if laps_listed and res.total_time is not None:
        times = [lap.lap_time for lap in res.lap_list]
        if all(t is not None for t in times):
            total = sum(times)
            if abs(total - res.total_time) > LAP_SUM_TOLERANCE:
                return f"lap time sum mismatch: laps add up to {total:.3f} s, Laps/Time says {res.total_time:.3f} s"
    return None


def _key(res: it.RaceResult) -> str:
    return f"driver:{res.driver_id}" if res.driver_id is not None else f"position:{res.position}"


def _raw(res: it.RaceResult) -> dict:
    data = dataclasses.asdict(res)
    data["lap_list"] = [[lap["lap_number"], lap["lap_time"], lap["position"]] for lap in data["lap_list"]]
    return data


def validate_race(race: it.Race) -> tuple[it.Race, list[it.Rejected]]:
    """(the race with only its good rows, the rejected rows and race-level problems)."""
    rejected: list[it.Rejected] = []
    counts = Counter(res.position for res in race.results)
    good: list[it.RaceResult] = []
    for res in race.results:
        reason = row_problem(res)
        if reason is None and counts[res.position] > 1:
            reason = f"position repeated: position {res.position} is printed {counts[res.position]} times"
        if reason is None:
            good.append(res)
        else:
            rejected.append(it.Rejected(_key(res), reason, _raw(res)))
    positions = sorted(counts)
    if positions:
        missing = sorted(set(range(1, max(positions) + 1)) - set(positions))
        if missing or positions[0] != 1:
            rejected.append(it.Rejected(
                "positions",
                f"positions not contiguous: missing {', '.join(map(str, missing))} of 1..{max(positions)}",
                {"positions": positions},
            ))
    if len(good) == len(race.results):
        return race, rejected
    return dataclasses.replace(race, results=good), rejected
