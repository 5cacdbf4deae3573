"""One event's bump-up report, read from the published warehouse (marts ``mart_bumpups`` and
``mart_bumpup_ladders``): the rows, each class's ladder, and the pages whose results are missing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb

from mre_crawler import urls


class EventNotInWarehouse(LookupError):
    """The event has no rows in the warehouse (not crawled, or the warehouse is older than the crawl)."""


@dataclass
class Rung:
    """One race on a class's ladder (legs of a double/triple main are separate rungs)."""

    race_id: int
    race_name: str
    tier_kind: str
    tier_label: str | None
    tier_rank: int | None
    leg: int | None
    feeds_tier_label: str | None
    has_results: bool
    result_rows: int
    bumpups_in: int
    bumpups_out: int
    note: str | None
    url: str | None
    # every driver of the race: driver_id, driver_name, start_position, finish_position, status
    results: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ClassLadder:
    class_name: str
    rungs: list[Rung] = field(default_factory=list)
    bumpups: list[dict[str, Any]] = field(default_factory=list)

    @property
    def summary(self) -> list[str]:
        """"4 drivers bumped up to the A-Main", one line per target tier, top tier first."""
        by_target: dict[tuple[int, str], int] = {}
        for b in self.bumpups:
            key = (b["target_tier_rank"] or 0, b["target_tier_label"])
            by_target[key] = by_target.get(key, 0) + 1
        return [
            f"{n} {'driver' if n == 1 else 'drivers'} bumped up to the {label}"
            for (_, label), n in sorted(by_target.items())
        ]


@dataclass
class EventReport:
    event_id: int
    event_name: str | None
    track_slug: str | None
    event_date: dt.date | None
    classes: list[ClassLadder] = field(default_factory=list)

    @property
    def bumpups(self) -> list[dict[str, Any]]:
        return [b for c in self.classes for b in c.bumpups]

    @property
    def missing_pages(self) -> list[Rung]:
        """Ladder races listed on the event page whose results page is not stored."""
        return [r for c in self.classes for r in c.rungs if r.tier_rank is not None and not r.has_results]

    @property
    def unplaced(self) -> list[Rung]:
        """Races with a label the ladder did not recognise (no tier, with the reason)."""
        return [r for c in self.classes for r in c.rungs if r.tier_rank is None]

    def event_url(self) -> str | None:
        return urls.event_url(self.track_slug, self.event_id) if self.track_slug else None


_BUMPUP_COLUMNS = (
    "class_name", "driver_id", "driver_name", "bumpup_kind", "source_race_id", "source_race_name",
    "source_tier_label", "source_tier_rank", "source_finish_position", "source_status", "target_race_id",
    "target_race_name", "target_tier_label", "target_tier_rank", "target_qual_position", "target_grid_position",
    "target_start_position", "target_finish_position", "target_status", "target_field_size", "step_in_event",
    "confidence", "checks_passed", "checks_failed", "check_notes", "correction", "correction_reason",
)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    rel = con.execute(sql, params)
    columns = [d[0] for d in rel.description]
    return [dict(zip(columns, row)) for row in rel.fetchall()]


def load_event_report(con: duckdb.DuckDBPyConnection, event_id: int) -> EventReport:
    """Read one event's bump-ups and ladders; raises :class:`EventNotInWarehouse` when unknown."""
    events = _rows(con, "select event_id, event_name, track_slug, date_start from stg_events where event_id = ?",
                   [event_id])
    ladders = _rows(
        con,
        "select * from mart_bumpup_ladders where event_id = ? "
        "order by class_name, tier_rank nulls last, leg nulls first, run_order",
        [event_id],
    )
    if not events and not ladders:
        raise EventNotInWarehouse(
            f"event {event_id} is not in the warehouse (crawl it with mre crawl, then mre warehouse build)"
        )
    bumpups = _rows(
        con,
        f"select {', '.join(_BUMPUP_COLUMNS)} from mart_bumpups where event_id = ? "
        "order by class_name, target_tier_rank, source_tier_rank desc, source_finish_position nulls last, driver_id",
        [event_id],
    )
    head = events[0] if events else {}
    slug = head.get("track_slug") or (ladders[0]["track_slug"] if ladders else None)
    report = EventReport(event_id, head.get("event_name"), slug, head.get("date_start"))
    by_class: dict[str, ClassLadder] = {}
    for row in ladders:
        ladder = by_class.setdefault(row["class_name"], ClassLadder(row["class_name"]))
        ladder.rungs.append(Rung(
            race_id=row["race_id"], race_name=row["race_name"], tier_kind=row["tier_kind"],
            tier_label=row["tier_label"], tier_rank=row["tier_rank"], leg=row["leg"],
            feeds_tier_label=row["feeds_tier_label"], has_results=bool(row["has_results"]),
            result_rows=int(row["result_rows"] or 0), bumpups_in=int(row["bumpups_in"] or 0),
            bumpups_out=int(row["bumpups_out"] or 0), note=row["note"],
            url=urls.race_url(slug, row["race_id"]) if slug else None,
        ))
    rungs = {r.race_id: r for c in by_class.values() for r in c.rungs}
    if rungs:
        for row in _rows(
            con,
            "select r.race_id, r.driver_id, coalesce(r.printed_driver_name, d.driver_name) as driver_name, "
            "coalesce(r.grid_position, r.qual_position) as start_position, r.finish_position, "
            "r.result_status as status from stg_race_results as r left join stg_drivers as d using (driver_id) "
            f"where r.race_id in ({', '.join('?' for _ in rungs)}) order by r.race_id, r.finish_position",
            list(rungs),
        ):
            rungs[row["race_id"]].results.append(row)
    for row in bumpups:
        by_class.setdefault(row["class_name"], ClassLadder(row["class_name"])).bumpups.append(row)
    report.classes = [by_class[name] for name in sorted(by_class)]
    return report


def ordinal(n: int | None) -> str:
    if n is None:
        return "?"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


STATUS_TEXT = {"finished": "finished", "stopped_early": "stopped early", "did_not_start": "did not start"}


def report_to_json(report: EventReport) -> dict[str, Any]:
    """A plain-JSON view of the report for scripts (dates as ISO text)."""

    def clean(value: Any) -> Any:
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return {
        "event_id": report.event_id,
        "event_name": report.event_name,
        "track_slug": report.track_slug,
        "event_date": clean(report.event_date),
        "event_url": report.event_url(),
        "bumpups": [{k: clean(v) for k, v in b.items()} for b in report.bumpups],
        "classes": [
            {
                "class_name": c.class_name,
                "summary": c.summary,
                "ladder": [
                    {"race_id": r.race_id, "race_name": r.race_name, "tier_label": r.tier_label,
                     "tier_rank": r.tier_rank, "leg": r.leg, "has_results": r.has_results,
                     "bumpups_in": r.bumpups_in, "bumpups_out": r.bumpups_out, "note": r.note}
                    for r in c.rungs
                ],
            }
            for c in report.classes
        ],
        "missing_pages": [
            {"race_id": r.race_id, "race_name": r.race_name, "url": r.url, "note": r.note}
            for r in report.missing_pages
        ],
        "unrecognised": [{"race_id": r.race_id, "race_name": r.race_name, "reason": r.note} for r in report.unplaced],
    }
