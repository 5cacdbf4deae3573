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
# Which finer kinds fit which type (the signals in int_race_session_signals.sql); unknown fits all.
KINDS_BY_TYPE = {
    "race": ("main", "triple_main_leg", "double_main_leg", "lcq", "semi", "final", "unknown"),
    "qualifying": ("heat", "seeding", "unknown"),
    "practice": ("practice", "heat", "unknown"),
    "practiceday": ("practiceday", "unknown"),
}
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
    if clear and session_kind is not None:
        raise CurationError("clear takes no --kind")
    if not clear and session_kind is not None and session_kind not in KINDS_BY_TYPE[session_type]:
        raise CurationError(f"session kind {session_kind} does not fit type {session_type} "
                            f"(it takes {', '.join(KINDS_BY_TYPE[session_type])})")
    if not reason or not reason.strip():
        raise CurationError("--reason must say why (it is kept with the override)")
    with conn.transaction():
        found = conn.execute("select 1 from mre.races where race_id = %s", (race_id,)).fetchone()
        if not found:
            raise CurationError(f"race {race_id} is not in the database (crawl its event first)")
        if clear:
            # serialise curation of this race so two clears cannot both see an override
            conn.execute("select pg_advisory_xact_lock(hashtextextended('mre-session-type-override:' || %s, 0))",
                         (str(race_id),))
            latest = conn.execute(
                "select cleared from mre.session_type_overrides where race_id = %s "
                "order by set_at desc, override_id desc limit 1", (race_id,)).fetchone()
            if latest is None or latest[0]:
                raise CurationError(f"race {race_id} has no override to clear")
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
    rel = wh.sql(f"select {', '.join(_MART_COLUMNS)} from mart_race_session_types"
                 " where race_source = 'race' order by race_id")
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


def _apply_batch(conn: psycopg.Connection, run_id: int, size: int) -> tuple[int, int] | None:
    """One batch inside the caller's transaction: (plan rows marked, races changed), or None when
    the run is no longer running or a stop was requested (nothing written).

    The plan rows and their races are locked and read first, so the audit rows are exactly the
    values this run replaced (old value and updated_at included): a value someone else already
    wrote is found equal and neither changed nor audited."""
    status, stop = conn.execute(
        "select status, stop_requested from mre.session_type_backfill_runs where run_id = %s", (run_id,)
    ).fetchone()  # not locked: a stop request must not wait for the batch (the writer lock keeps others out)
    if status != "running" or stop:
        return None
    planned = conn.execute(
        "select ordinal, race_id, new_session_type from mre.session_type_backfill_plan "
        "where run_id = %s and not applied order by ordinal limit %s for update",
        (run_id, size),
    ).fetchall()
    # races locked in key order, as crawls upsert them, so a backfill and a crawl cannot deadlock
    current = {r[0]: r[1:] for r in conn.execute(
        "select race_id, session_type, updated_at from mre.races where race_id = any(%s) order by race_id for update",
        ([p[1] for p in planned],),
    ).fetchall()}
    batch = [(ordinal, race_id, new, *current[race_id]) for ordinal, race_id, new in planned]
    todo = [(race_id, new, old, old_at) for _, race_id, new, old, old_at in batch if old != new]
    if todo:
        written = dict(conn.execute(
            "update mre.races r set session_type = b.new, updated_at = now() "
            "from unnest(%s::bigint[], %s::text[]) as b(race_id, new) where r.race_id = b.race_id "
            "returning r.race_id, r.updated_at",
            ([t[0] for t in todo], [t[1] for t in todo]),
        ).fetchall())
        with conn.cursor() as cur:
            cur.executemany(
                "insert into mre.session_type_audit (run_id, race_id, old_session_type, new_session_type, "
                "old_updated_at, new_updated_at) values (%s, %s, %s, %s, %s, %s)",
                [(run_id, race_id, old, new, old_at, written[race_id]) for race_id, new, old, old_at in todo],
            )
    if batch:
        conn.execute(
            "update mre.session_type_backfill_plan set applied = true where run_id = %s and ordinal = any(%s)",
            (run_id, [b[0] for b in batch]),
        )
    conn.execute(
        "update mre.session_type_backfill_runs set applied = applied + %s, changed = changed + %s, "
        "status = case when %s then 'finished' else status end, "
        "finished_at = case when %s then now() else finished_at end where run_id = %s",
        (len(batch), len(todo), len(batch) < size, len(batch) < size, run_id),
    )
    return len(batch), len(todo)


def request_stop(conn: psycopg.Connection, run_id: int) -> bool:
    """Ask a running backfill to stop after its current batch; False when it is not running."""
    row = conn.execute(
        "update mre.session_type_backfill_runs set stop_requested = true "
        "where run_id = %s and kind = 'backfill' and status = 'running' returning run_id", (run_id,)
    ).fetchone()
    return row is not None


def run_settings(conn: psycopg.Connection, run_id: int) -> tuple[str | None, int]:
    """(min_confidence, batch_size) a run was started with."""
    row = conn.execute("select min_confidence, batch_size from mre.session_type_backfill_runs where run_id = %s",
                       (run_id,)).fetchone()
    if row is None:
        raise CurationError(f"no backfill run {run_id}")
    return row[0], row[1]


def resume_backfill(
    conn: psycopg.Connection, run_id: int, *, batch_size: int | None = None, max_batches: int | None = None,
    progress: Callable[[int, int, int], None] | None = None,
) -> tuple[int, int, str]:
    """Apply the run's unapplied plan rows in batches; returns (applied, planned, status), status
    'stopped' when a stop was requested (``--rollback RUN --stop``) between batches.

    ``max_batches`` stops after that many committed batches, leaving the run 'running' exactly as
    a kill between batches would (the tests use it to interrupt a run). The caller holds the
    ``session-type`` writer lock (:mod:`mre_crawler.rollout_lock`)."""
    run = conn.execute(
        "select batch_size, status, kind from mre.session_type_backfill_runs where run_id = %s", (run_id,)
    ).fetchone()
    if run is None or run[2] != "backfill":
        raise CurationError(f"no backfill run {run_id}")
    if run[1] != "running":
        raise CurationError(f"backfill run {run_id} is {run[1]}, nothing to resume")
    if batch_size is not None and batch_size < 1:
        raise CurationError("--batch must be at least 1")
    size = batch_size or run[0]
    # a resume is a new decision to go on: an old stop request (already obeyed) no longer applies
    conn.execute("update mre.session_type_backfill_runs set stop_requested = false where run_id = %s", (run_id,))
    batches = 0
    stopped = False
    while max_batches is None or batches < max_batches:
        with conn.transaction():
            done = _apply_batch(conn, run_id, size)
        if done is None:
            stopped = True
            break
        marked, _ = done
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
    return applied, planned, ("stopped" if stopped and status == "running" else status)


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
        # One audit row per race per run, so the first value the run saw is the one to restore;
        # updated_at goes back too unless something else changed the row since the run wrote it.
        current = conn.execute(
            """
            with first_change as (
                select distinct on (race_id) race_id, old_session_type, old_updated_at, new_updated_at
                from mre.session_type_audit where run_id = %s order by race_id, audit_id
            )
            select f.race_id, f.old_session_type, r.session_type, r.updated_at,
                   case when f.old_updated_at is not null and r.updated_at = f.new_updated_at
                        then f.old_updated_at end
            from first_change f join mre.races r using (race_id)
            order by f.race_id
            for update of r
            """,
            (run_id,),
        ).fetchall()
        todo = [c for c in current if c[1] != c[2]]
        if todo:
            written = dict(conn.execute(
                "update mre.races r set session_type = b.old, updated_at = coalesce(b.old_at, now()) "
                "from unnest(%s::bigint[], %s::text[], %s::timestamptz[]) as b(race_id, old, old_at) "
                "where r.race_id = b.race_id returning r.race_id, r.updated_at",
                ([c[0] for c in todo], [c[1] for c in todo], [c[4] for c in todo]),
            ).fetchall())
            with conn.cursor() as cur:
                cur.executemany(
                    "insert into mre.session_type_audit (run_id, race_id, old_session_type, new_session_type, "
                    "old_updated_at, new_updated_at) values (%s, %s, %s, %s, %s, %s)",
                    [(new_run, c[0], c[2], c[1], c[3], written[c[0]]) for c in todo],
                )
        restored = len(todo)
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
