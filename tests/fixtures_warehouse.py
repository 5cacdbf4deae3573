"""Warehouse fixtures: run real SQL models over a few hand-made rows in a fresh in-memory DuckDB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pytest

from warehouse.models import discover_models
from warehouse.runner import SQL_DIR, run_models, select_models

# The staging columns the session-type models read, with their DuckDB types.
STG_COLUMNS: dict[str, dict[str, str]] = {
    "stg_races": {
        "race_id": "bigint",
        "event_id": "bigint",
        "track_slug": "varchar",
        "round_name": "varchar",
        "race_number": "integer",
        "class_name": "varchar",
        "race_name": "varchar",
        "completed_local": "timestamp",
        "schedule_index": "integer",
    },
    "stg_events": {"event_id": "bigint", "source_event_id": "varchar", "is_practice_day": "boolean",
                   "event_name": "varchar"},
    "stg_practice_sessions": {"session_id": "bigint", "source_event_id": "varchar", "track_slug": "varchar",
                              "class_name": "varchar"},
    "stg_fetched_pages": {"url": "varchar", "page_type": "varchar", "url_id": "bigint"},
    "stg_session_type_overrides": {
        "override_id": "bigint",
        "race_id": "bigint",
        "override_session_type": "varchar",
        "override_session_kind": "varchar",
        "override_cleared": "boolean",
        "override_reason": "varchar",
        "override_set_by": "varchar",
        "override_set_at": "timestamp",
    },
}


def create_table(con: duckdb.DuckDBPyConnection, name: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """A staging table with every declared column; columns a row leaves out are NULL."""
    columns = STG_COLUMNS[name]
    con.execute(f"create table {name} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
    for row in rows:
        unknown = set(row) - set(columns)
        assert not unknown, f"{name} has no column {unknown}"
        con.execute(
            f"insert into {name} values ({', '.join('?' for _ in columns)})",
            [row.get(c) for c in columns],
        )


@dataclass
class RaceRow:
    """One hand-made race; ``schedule_index`` defaults to the order the rows are given in."""

    race_name: str
    round_name: str | None = "Main Events"
    class_name: str | None = "1/8 Nitro Buggy"
    event_id: int = 1
    race_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def build_session_types(
    races: list[RaceRow | Mapping[str, Any]],
    *,
    events: Iterable[Mapping[str, Any]] = (),
    pages: Iterable[Mapping[str, Any]] = (),
    overrides: Iterable[Mapping[str, Any]] = (),
    practice_sessions: Iterable[Mapping[str, Any]] = (),
) -> tuple[duckdb.DuckDBPyConnection, dict[int, dict[str, Any]]]:
    """Run int_race_session_signals + mart_race_session_types; return the connection and the race
    rows by race id (practice rows, keyed by race_key, are in the connection's mart)."""
    con = duckdb.connect()
    race_rows = []
    for i, race in enumerate(races):
        if isinstance(race, RaceRow):
            row = {
                "race_id": race.race_id if race.race_id is not None else 100 + i,
                "event_id": race.event_id,
                "track_slug": "testtrack",
                "round_name": race.round_name,
                "class_name": race.class_name,
                "race_name": race.race_name,
                "schedule_index": i,
                "completed_local": dt.datetime(2025, 11, 16, 8, 0) + dt.timedelta(minutes=10 * i),
                **race.extra,
            }
        else:
            row = dict(race)
        race_rows.append(row)
    create_table(con, "stg_races", race_rows)
    create_table(con, "stg_events", events)
    create_table(con, "stg_fetched_pages", pages)
    create_table(con, "stg_session_type_overrides", overrides)
    create_table(con, "stg_practice_sessions", practice_sessions)
    models = select_models(discover_models(SQL_DIR / "models"), ["int_race_session_signals", "int_practice_races", "mart_race_session_types"])
    run_models(con, models)
    rel = con.sql("select * from mart_race_session_types where race_source = 'race'")
    columns = rel.columns
    by_race = {r["race_id"]: r for r in (dict(zip(columns, row)) for row in rel.fetchall())}
    return con, by_race


@pytest.fixture
def session_types() -> Callable[..., dict[int, dict[str, Any]]]:
    """``session_types([RaceRow(...), ...]) -> {race_id: mart row}`` over the real model files."""
    opened: list[duckdb.DuckDBPyConnection] = []

    def run(races: list[RaceRow | Mapping[str, Any]], **kwargs: Any) -> dict[int, dict[str, Any]]:
        con, rows = build_session_types(races, **kwargs)
        opened.append(con)
        return rows

    yield run
    for con in opened:
        con.close()
