"""Session-type curation and backfill against PostgreSQL (the logic behind ``mre session-type``).

- :func:`set_override` appends a row to ``mre.session_type_overrides`` (who, when, why). A crawl
  never writes that table, and the store's race upsert never touches ``races.session_type``, so
  both survive re-crawls.
- :func:`session_type_rows` reads the published warehouse's ``mart_race_session_types`` and lays
  the curation table's newest rows over it, so an override set after the last build shows at once.
- :func:`plan_backfill` / :func:`start_backfill` / :func:`resume_backfill` / :func:`rollback`:
  write the warehouse's session types into ``mre.races.session_type`` in batches (override and
  high confidence first). Each batch is one transaction that updates the races, appends the audit
  rows and marks its plan rows applied, so a run killed at any moment resumes at the first
  unapplied row (sql/postgres/0021_session_type_backfill.sql).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
import psycopg

SESSION_TYPES = ("race", "practice", "qualifying", "practiceday")
SESSION_KINDS = ("heat", "main", "triple_main_leg", "double_main_leg", "lcq", "semi", "final", "seeding",
                 "practice", "practiceday", "unknown")
# Lower is surer; --min-confidence medium takes override, high and medium.
CONFIDENCE_RANK = {"override": 0, "high": 1, "medium": 2, "low": 3}


class CurationError(ValueError):
    """A request that cannot be carried out (unknown race, bad type, no such run): one line."""


def current_user() -> str:
    """Who is curating: ``$MRE_USER``, else the OS user."""
    return os.environ.get("MRE_USER", "").strip() or getpass.getuser()


# ---------------------------------------------------------------------------------------------
# Overrides
# ---------------------------------------------------------------------------------------------
def set_override(
    conn: psycopg.Connection,
    race_id: int,
    session_type: str | None,
    reason: str,
    *,
    session_kind: str | None = None,
    clear: bool = False,
    set_by: str | None = None,
) -> dict[str, Any]:
    """Append one override (or, with ``clear``, a row withdrawing it); returns the row written."""
    if not clear and session_type not in SESSION_TYPES:
        raise CurationError(f"session type must be one of {', '.join(SESSION_TYPES)}, not {session_type!r}")
    if session_kind is not None and session_kind not in SESSION_KINDS:
        raise CurationError(f"session kind must be one of {', '.join(SESSION_KINDS)}, not {session_kind!r}")
    if not reason or not reason.strip():
        raise CurationError("--reason must say why (it is kept with the override)")
    with conn.transaction():
        found = conn.execute("select 1 from mre.races where race_id = %s", (race_id,)).fetchone()
        if not found:
            raise CurationError(f"race {race_id} is not in the database (crawl its event first)")
        row = conn.execute(
            "insert into mre.session_type_overrides (race_id, session_type, session_kind, cleared, reason, set_by) "
            "values (%s, %s, %s, %s, %s, %s) "
            "returning override_id, race_id, session_type, session_kind, cleared, reason, set_by, set_at",
            (race_id, None if clear else session_type, None if clear else session_kind, clear, reason.strip(),
             set_by or current_user()),
        ).fetchone()
    keys = ("override_id", "race_id", "session_type", "session_kind", "cleared", "reason", "set_by", "set_at")
    return dict(zip(keys, row))


def latest_overrides(conn: psycopg.Connection) -> dict[int, dict[str, Any]]:
    """The newest curation row per race (cleared ones included: they withdraw an override)."""
    rows = conn.execute(
        "select distinct on (race_id) race_id, session_type, session_kind, cleared, reason, set_by, set_at "
        "from mre.session_type_overrides order by race_id, set_at desc, override_id desc"
    ).fetchall()
    keys = ("race_id", "session_type", "session_kind", "cleared", "reason", "set_by", "set_at")
    return {r[0]: dict(zip(keys, r)) for r in rows}


_MART_COLUMNS = (
    "race_id", "event_id", "track_slug", "class_name", "round_name", "race_name", "session_type", "session_kind",
    "confidence", "signals_agreed", "signals_disagreed", "inferred_session_type", "inferred_session_kind",
    "inferred_confidence", "override_reason", "override_set_by", "override_set_at",
)


def session_type_rows(wh: duckdb.DuckDBPyConnection, overrides: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """``mart_race_session_types`` rows with the curation table's current state applied."""
    rel = wh.sql(f"select {', '.join(_MART_COLUMNS)} from mart_race_session_types order by race_id")
    rows = [dict(zip(_MART_COLUMNS, r)) for r in rel.fetchall()]
    for row in rows:
        o = overrides.get(row["race_id"])
        if o is None:
            continue
        if o["cleared"]:
            row.update(session_type=row["inferred_session_type"], session_kind=row["inferred_session_kind"],
                       confidence=row["inferred_confidence"], override_reason=None, override_set_by=None,
                       override_set_at=None)
        else:
            kind = o["session_kind"] or (row["inferred_session_kind"]
                                         if o["session_type"] == row["inferred_session_type"] else "unknown")
            row.update(session_type=o["session_type"], session_kind=kind, confidence="override",
                       override_reason=o["reason"], override_set_by=o["set_by"], override_set_at=o["set_at"])
    return rows


def needs_a_human(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Low-confidence inferences that no person has settled yet."""
    return [r for r in rows if r["confidence"] == "low"]


# ---------------------------------------------------------------------------------------------
# Backfill
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannedChange:
    race_id: int
    old_session_type: str | None
    new_session_type: str
    confidence: str
    race_name: str | None = None


def plan_backfill(
    conn: psycopg.Connection, rows: list[dict[str, Any]], min_confidence: str = "high"
) -> list[PlannedChange]:
    """Races whose stored session type differs from the warehouse's, surest first."""
    if min_confidence not in ("high", "medium", "low"):
        raise CurationError("--min-confidence is high, medium or low")
    limit = CONFIDENCE_RANK[min_confidence]
    stored = dict(conn.execute("select race_id, session_type from mre.races where removed_at is null").fetchall())
    plan = [
        PlannedChange(r["race_id"], stored[r["race_id"]], r["session_type"], r["confidence"], r["race_name"])
        for r in rows
        if r["race_id"] in stored
        and CONFIDENCE_RANK[r["confidence"]] <= limit
        and stored[r["race_id"]] != r["session_type"]
    ]
    plan.sort(key=lambda c: (CONFIDENCE_RANK[c.confidence], c.race_id))
    return plan


def unfinished_run(conn: psycopg.Connection) -> tuple[int, int, int] | None:
    """(run_id, applied, planned) of the newest backfill that did not finish (killed or stopped)."""
    return conn.execute(
        "select run_id, applied, planned from mre.session_type_backfill_runs "
        "where kind = 'backfill' and status = 'running' order by run_id desc limit 1"
    ).fetchone()


def start_backfill(
    conn: psycopg.Connection, plan: list[PlannedChange], *, batch_size: int, min_confidence: str,
    started_by: str | None = None,
) -> int:
    """Record the run and freeze its plan (one transaction); returns the run id."""
    if batch_size < 1:
        raise CurationError("--batch must be at least 1")
    with conn.transaction():
        run_id = conn.execute(
            "insert into mre.session_type_backfill_runs (kind, min_confidence, batch_size, planned, started_by) "
            "values ('backfill', %s, %s, %s, %s) returning run_id",
            (min_confidence, batch_size, len(plan), started_by or current_user()),
        ).fetchone()[0]
        with conn.cursor().copy(
            "copy mre.session_type_backfill_plan (run_id, ordinal, race_id, new_session_type, confidence) from stdin"
        ) as copy:
            for ordinal, change in enumerate(plan):
                copy.write_row((run_id, ordinal, change.race_id, change.new_session_type, change.confidence))
    return run_id


_APPLY_BATCH = """
with batch as (
    select ordinal, race_id, new_session_type
    from mre.session_type_backfill_plan
    where run_id = %(run)s and not applied
    order by ordinal
    limit %(n)s
    for update
),
old as (
    select b.ordinal, b.race_id, b.new_session_type, r.session_type as old_session_type
    from batch b join mre.races r using (race_id)
),
changed as (
    update mre.races r set session_type = o.new_session_type, updated_at = now()
    from old o
    where r.race_id = o.race_id and r.session_type is distinct from o.new_session_type
    returning r.race_id
),
audit as (
    insert into mre.session_type_audit (run_id, race_id, old_session_type, new_session_type)
    select %(run)s, race_id, old_session_type, new_session_type
    from old where old_session_type is distinct from new_session_type
    returning 1
),
marked as (
    update mre.session_type_backfill_plan p set applied = true
    from batch b
    where p.run_id = %(run)s and p.ordinal = b.ordinal
    returning 1
)
select (select count(*) from marked), (select count(*) from changed), (select count(*) from audit)
"""


def resume_backfill(
    conn: psycopg.Connection, run_id: int, *, batch_size: int | None = None, max_batches: int | None = None,
    progress: Callable[[int, int, int], None] | None = None,
) -> tuple[int, int, str]:
    """Apply the run's unapplied plan rows in batches; returns (applied, planned, status).

    ``max_batches`` stops after that many committed batches, leaving the run 'running' exactly as
    a kill between batches would (the tests use it to interrupt a run)."""
    run = conn.execute(
        "select batch_size, status, kind from mre.session_type_backfill_runs where run_id = %s", (run_id,)
    ).fetchone()
    if run is None or run[2] != "backfill":
        raise CurationError(f"no backfill run {run_id}")
    if run[1] != "running":
        raise CurationError(f"backfill run {run_id} is {run[1]}, nothing to resume")
    size = batch_size or run[0]
    batches = 0
    while max_batches is None or batches < max_batches:
        with conn.transaction():
            marked, changed, _ = conn.execute(_APPLY_BATCH, {"run": run_id, "n": size}).fetchone()
            if marked:
                conn.execute(
                    "update mre.session_type_backfill_runs set applied = applied + %s, changed = changed + %s "
                    "where run_id = %s",
                    (marked, changed, run_id),
                )
            if marked < size:
                conn.execute(
                    "update mre.session_type_backfill_runs set status = 'finished', finished_at = now() "
                    "where run_id = %s",
                    (run_id,),
                )
        batches += 1
        applied, planned = conn.execute(
            "select applied, planned from mre.session_type_backfill_runs where run_id = %s", (run_id,)
        ).fetchone()
        if progress:
            progress(batches, applied, planned)
        if marked < size:
            break
    applied, planned, status = conn.execute(
        "select applied, planned, status from mre.session_type_backfill_runs where run_id = %s", (run_id,)
    ).fetchone()
    return applied, planned, status


def rollback(conn: psycopg.Connection, run_id: int, *, started_by: str | None = None) -> tuple[int, int]:
    """Restore every value backfill run ``run_id`` changed (one transaction); returns
    (rollback run id, races restored). The reverse changes go to the audit log under the new run."""
    with conn.transaction():
        run = conn.execute(
            "select kind, status from mre.session_type_backfill_runs where run_id = %s for update", (run_id,)
        ).fetchone()
        if run is None or run[0] != "backfill":
            raise CurationError(f"no backfill run {run_id}")
        if run[1] == "rolled_back":
            raise CurationError(f"backfill run {run_id} was already rolled back")
        new_run = conn.execute(
            "insert into mre.session_type_backfill_runs (kind, rollback_of, batch_size, started_by) "
            "values ('rollback', %s, 1, %s) returning run_id",
            (run_id, started_by or current_user()),
        ).fetchone()[0]
        # One audit row per race per run, so the first value the run saw is the one to restore.
        restored = conn.execute(
            """
            with first_change as (
                select distinct on (race_id) race_id, old_session_type
                from mre.session_type_audit where run_id = %(run)s order by race_id, audit_id
            ),
            current as (
                select f.race_id, f.old_session_type, r.session_type as current_session_type
                from first_change f join mre.races r using (race_id) for update of r
            ),
            audit as (
                insert into mre.session_type_audit (run_id, race_id, old_session_type, new_session_type)
                select %(new)s, race_id, current_session_type, old_session_type
                from current where current_session_type is distinct from old_session_type
                returning race_id
            ),
            restored as (
                update mre.races r set session_type = c.old_session_type, updated_at = now()
                from current c
                where r.race_id = c.race_id and r.session_type is distinct from c.old_session_type
                returning r.race_id
            )
            select count(*) from restored
            """,
            {"run": run_id, "new": new_run},
        ).fetchone()[0]
        conn.execute(
            "update mre.session_type_backfill_runs set status = 'rolled_back', finished_at = coalesce(finished_at, now()) "
            "where run_id = %s",
            (run_id,),
        )
        conn.execute(
            "update mre.session_type_backfill_runs set status = 'finished', finished_at = now(), planned = %s, "
            "applied = %s, changed = %s where run_id = %s",
            (restored, restored, restored, new_run),
        )
    return new_run, restored
