"""Write bump-up corrections (``mre.bumpup_corrections``): append-only, checked against the record."""

from __future__ import annotations

import psycopg


class CorrectionError(ValueError):
    """A correction that names an unknown event or a race of another event."""


def record_correction(
    conn: psycopg.Connection,
    *,
    event_id: int,
    action: str,
    driver_id: int,
    target_race_id: int,
    reason: str,
    set_by: str,
    source_race_id: int | None = None,
) -> int:
    """Append one correction; returns its id. Races must belong to the event."""
    if action not in ("add", "suppress", "clear"):
        raise CorrectionError(f"unknown action {action!r}")
    if not conn.execute("SELECT 1 FROM mre.events WHERE event_id = %s", (event_id,)).fetchone():
        raise CorrectionError(f"event {event_id} is not in the database (crawl it first)")
    for label, race_id in (("--to", target_race_id), ("--from", source_race_id)):
        if race_id is None:
            continue
        row = conn.execute("SELECT event_id FROM mre.races WHERE race_id = %s", (race_id,)).fetchone()
        if row is None:
            raise CorrectionError(f"{label} race {race_id} is not in the database")
        if row[0] != event_id:
            raise CorrectionError(f"{label} race {race_id} belongs to event {row[0]}, not {event_id}")
    row = conn.execute(
        "INSERT INTO mre.bumpup_corrections (event_id, action, driver_id, source_race_id, target_race_id, reason, set_by)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING correction_id",
        (event_id, action, driver_id, source_race_id, target_race_id, reason, set_by),
    ).fetchone()
    return int(row[0])
