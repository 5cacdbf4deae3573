"""Write bump-up corrections (``mre.bumpup_corrections``): append-only, checked against the record.

A correction is checked when it is made with the rules the warehouse build checks
(sql/checks/bumpups_target_runs_after_source.sql): the ids exist, the races belong to the event,
the driver ran the race (the source for ``add``, the target for ``suppress``), an added step goes
from a race into a different, later race that is a higher tier of the same class ladder (the tiers
of the published warehouse's ``int_race_tiers``, :func:`check_tiers`). A correction that stops
fitting after a re-crawl is reported by the build as a warning with its id
(sql/checks/bumpup_corrections_that_no_longer_fit.sql), never a failure that blocks publishing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg


class CorrectionError(ValueError):
    """A correction that names an unknown event, race or driver, or a step the build would refuse."""


def _run_order(conn: psycopg.Connection, event_id: int) -> dict[int, int]:
    """Each race's place in its event's running order (as int_race_tiers orders them)."""
    rows = conn.execute(
        "SELECT race_id FROM mre.races WHERE event_id = %s AND removed_at IS NULL "
        "ORDER BY completed_local NULLS LAST, schedule_index NULLS LAST, race_id", (event_id,)).fetchall()
    return {r[0]: i for i, r in enumerate(rows, 1)}


def _ran(conn: psycopg.Connection, race_id: int, driver_id: int) -> bool:
    return conn.execute("SELECT 1 FROM mre.race_results WHERE race_id = %s AND driver_id = %s AND removed_at IS NULL",
                        (race_id, driver_id)).fetchone() is not None


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
    warehouse: Path | None = None,
    ensure_warehouse: Callable[[Path], bool] | None = None,
) -> int:
    """Append one correction; returns its id. Raises :class:`CorrectionError` (one line) for a
    correction the build would refuse; ``warehouse`` (the published DuckDB file) gives the tiers
    an ``add`` is checked against."""
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
    if not conn.execute("SELECT 1 FROM mre.drivers WHERE driver_id = %s", (driver_id,)).fetchone():
        raise CorrectionError(f"driver {driver_id} is not in the database")
    if action == "suppress" and not _ran(conn, target_race_id, driver_id):
        raise CorrectionError(f"driver {driver_id} did not run race {target_race_id}: there is no bump-up to suppress")
    if action == "clear":
        latest = conn.execute(
            "SELECT action FROM mre.bumpup_corrections WHERE target_race_id = %s AND driver_id = %s "
            "ORDER BY set_at DESC, correction_id DESC LIMIT 1", (target_race_id, driver_id)).fetchone()
        if latest is None or latest[0] == "clear":
            raise CorrectionError(f"no correction for driver {driver_id} into race {target_race_id} to clear")
    if action == "add":
        assert source_race_id is not None
        if source_race_id == target_race_id:
            raise CorrectionError(f"--from and --to are the same race {target_race_id}: a bump-up goes into another race")
        if not _ran(conn, source_race_id, driver_id):
            raise CorrectionError(f"driver {driver_id} did not run the source race {source_race_id}")
        order = _run_order(conn, event_id)
        if order.get(target_race_id, 0) <= order.get(source_race_id, 0):
            raise CorrectionError(f"race {target_race_id} does not run after race {source_race_id}: "
                                  "a bump-up goes into a later race")
        if warehouse is not None:
            if ensure_warehouse is not None and not ensure_warehouse(warehouse):
                raise CorrectionError(f"cannot check the tiers: the warehouse at {warehouse} could not be built")
            check_tiers(warehouse, source_race_id, target_race_id)
    row = conn.execute(
        "INSERT INTO mre.bumpup_corrections (event_id, action, driver_id, source_race_id, target_race_id, reason, set_by)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING correction_id",
        (event_id, action, driver_id, source_race_id, target_race_id, reason, set_by),
    ).fetchone()
    return int(row[0])


def check_tiers(warehouse: Path, source_race_id: int, target_race_id: int) -> None:
    """The target must be a higher rung of the source's class ladder (the build's rule)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = {r[0]: r[1:] for r in con.execute(
            "select race_id, ladder_class, tier_rank, tier_label, tier_reason from int_race_tiers "
            "where race_id in (?, ?)", [source_race_id, target_race_id]).fetchall()}
    for label, race_id in (("--from", source_race_id), ("--to", target_race_id)):
        if race_id not in rows:
            raise CorrectionError(f"{label} race {race_id} is not in the warehouse yet (run `mre warehouse build` first)")
        if rows[race_id][1] is None:
            raise CorrectionError(f"{label} race {race_id} is not on a main ladder ({rows[race_id][3] or 'no tier'})")
    (s_class, s_rank, s_label, _), (t_class, t_rank, t_label, _) = rows[source_race_id], rows[target_race_id]
    if s_class != t_class:
        raise CorrectionError(f"race {target_race_id} is on the {t_class} ladder, race {source_race_id} on {s_class}: "
                              "a bump-up stays in its class")
    if t_rank >= s_rank:
        raise CorrectionError(f"race {target_race_id} ({t_label}) is not a higher tier than race {source_race_id} "
                              f"({s_label}): a bump-up goes up the ladder")
