"""Items as JSON: dates as ISO strings, dataclasses as objects, a ``_type`` tag on each record."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from itemadapter import ItemAdapter

# Child lists that `flatten` turns into records of their own, with the parent's keys copied in.
_CHILDREN: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # parent type: (list attribute, child record type, parent keys carried onto each child)
    "Event": ("races", "EventRace", ("track_slug", "event_id")),
    "Race": ("results", "RaceResult", ("track_slug", "event_id", "race_id")),
    "RaceResult": ("lap_list", "Lap", ("track_slug", "event_id", "race_id", "driver_id", "driver_name")),
    "EntryList": ("entries", "Entry", ("track_slug", "event_id")),
    "PointsTable": ("rows", "PointsRow", ("track_slug", "event_id", "points_id")),
    "PracticeMonth": ("days", "PracticeDayRef", ("track_slug", "month")),
    "PracticeDay": ("sessions", "PracticeSessionSummary", ("track_slug", "date")),
    "PracticeSession": ("laps", "PracticeLap", ("track_slug", "session_id")),
    "HeatSheet": ("races", "HeatSheetRace", ("track_slug", "event_id", "heat_sheet_id", "round_name")),
    "HeatSheetRace": ("entries", "LineupEntry", ("track_slug", "event_id", "heat_sheet_id", "race_number", "race_id")),
    "RoundRanking": ("rows", "RankingRow", ("track_slug", "event_id", "ranking_id", "mode")),
    "OverallRanking": ("rows", "OverallRow", ("track_slug", "event_id")),
}


def _default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    raise TypeError(f"cannot turn {type(value).__name__} into JSON")


def item_to_dict(item: Any) -> dict[str, Any]:
    data = ItemAdapter(item).asdict()
    return {"_type": type(item).__name__, **data}


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, default=_default, ensure_ascii=False, sort_keys=False)


def flatten(item: Any, inherited: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """One record per item and per child row, children carrying their parents' keys."""
    name = type(item).__name__
    record = {"_type": name, **(inherited or {})}
    spec = _CHILDREN.get(name)
    children: list[Any] = []
    for f in dataclasses.fields(item):
        value = getattr(item, f.name)
        if spec and f.name == spec[0]:
            children = value
            continue
        record[f.name] = value
    yield record
    if spec:
        carried = {k: record[k] for k in spec[2] if k in record}
        for child in children:
            yield from flatten(child, carried)
