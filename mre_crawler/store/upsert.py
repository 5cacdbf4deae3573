"""Batched upserts: COPY into a stage, INSERT … ON CONFLICT … WHERE the row differs; race times at flush time."""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
from psycopg import pq, sql

from mre_crawler.store.rows import _Batch
from mre_crawler.store.specs import LAPS, RACES_FROM_EVENT, RACES_FROM_PAGE, RESULTS, Upsert, _t
from mre_crawler.timezones import local_to_utc


def upsert_rows(cur: psycopg.Cursor, spec: Upsert, rows: list[tuple]) -> tuple[int, int]:
    """COPY rows into a stage, then INSERT … ON CONFLICT … WHERE differs. Returns (inserted, updated).

    The stage is a temporary table of the session, made on first use (``IF NOT EXISTS``: a
    rolled-back transaction takes a stage it made with it) and emptied by every commit (``ON
    COMMIT DELETE ROWS``) and before each COPY (a second call in one transaction starts empty;
    the rows stay staged until then, for the removal marking of laps, which reads
    ``stage_laps``): no stage built and dropped every batch (``CREATE TEMP TABLE … ON COMMIT DROP`` was
    catalog writes on every call, most of the cost of a batch's few stub and driver rows). The
    caller is in a transaction, as it was for ``ON COMMIT DROP``."""
    stage = sql.Identifier(f"stage_{spec.name.replace('<-', '_from_')}")
    cols = sql.SQL(", ").join(map(sql.Identifier, spec.columns))
    if cur.connection.autocommit and cur.connection.info.transaction_status == pq.TransactionStatus.IDLE:
        # Each statement would commit on its own and the commit empty the stage under the COPY.
        raise RuntimeError("upsert_rows needs a transaction")
    # One round trip (two statements, no parameters): the stage made if missing, then emptied.
    cur.execute(
        sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS SELECT {cols} FROM {table} "
                "WITH NO DATA; DELETE FROM {stage}").format(stage=stage, cols=cols, table=_t(spec.table))
    )
    with cur.copy(sql.SQL("COPY {stage} ({cols}) FROM STDIN").format(stage=stage, cols=cols)) as copy:
        for row in rows:
            copy.write_row(row)
    key = sql.SQL(", ").join(map(sql.Identifier, spec.key))
    new_values: list[tuple[str, sql.Composable]] = []
    for c in spec.cols:
        new_values.append((c, sql.SQL("COALESCE(EXCLUDED.{c}, t.{c})").format(c=sql.Identifier(c))))
    for c in spec.fill:
        new_values.append((c, sql.SQL("COALESCE(t.{c}, EXCLUDED.{c})").format(c=sql.Identifier(c))))
    for c, expr in spec.guarded:
        new_values.append((c, sql.SQL(expr)))  # static text from the spec table above
    if not new_values:
        action = sql.SQL("DO NOTHING")
    else:
        sets = [sql.SQL("{c} = {v}").format(c=sql.Identifier(c), v=v) for c, v in new_values]
        sets.append(sql.SQL("updated_at = now()"))
        stored = sql.SQL(", ").join(sql.SQL("t.{c}").format(c=sql.Identifier(c)) for c, _ in new_values)
        wanted = sql.SQL(", ").join(v for _, v in new_values)
        differs = sql.SQL("ROW({stored}) IS DISTINCT FROM ROW({wanted})").format(stored=stored, wanted=wanted)
        if spec.restores:
            sets.append(sql.SQL("removed_at = NULL"))
            differs = sql.SQL("({d} OR t.removed_at IS NOT NULL)").format(d=differs)
        action = sql.SQL("DO UPDATE SET {sets} WHERE {differs}").format(sets=sql.SQL(", ").join(sets), differs=differs)
    query = sql.SQL(
        # ORDER BY the key: two processes upserting overlapping rows lock them in the same order,
        # so they queue behind each other instead of deadlocking (sorted by PostgreSQL, off the
        # crawler's GIL).
        "WITH up AS (INSERT INTO {table} AS t ({cols}) SELECT {cols} FROM {stage} ORDER BY {key} "
        "ON CONFLICT ({key}) {action} RETURNING (xmax = 0) AS inserted) "
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"
    ).format(table=_t(spec.table), cols=cols, stage=stage, key=key, action=action)
    ins, upd = cur.execute(query).fetchone()
    return int(ins), int(upd)


# pg_advisory_xact_lock(KEY_LOCK_CLASS, hashtext(table:key)): see lock_keys_in_order.
KEY_LOCK_CLASS = 7716


def lock_keys_in_order(cur: psycopg.Cursor, batch: _Batch, specs: Iterable[Upsert]) -> int:
    """Lock, in one global order, the keys of every table that several specs of one batch write.

    Each upsert sorts its own rows, but an event's row is written by up to three specs in turn
    (stub, events list, event page) and a track's and a race's by two: one batch can lock event
    9 (stub) before event 3 (event page) while another locks 3 before 9. Two workers storing
    pages of the same events then deadlocked on ``events`` (found by ``mre bench crawl
    --workers 3``). Transaction-level advisory locks on those keys, taken up front in the order
    of the lock ids, make overlapping batches queue behind each other instead; they are
    released at commit. Returns the number of locks taken."""
    by_table: dict[str, list[Upsert]] = {}
    for spec in specs:
        by_table.setdefault(spec.table, []).append(spec)
    keys: set[str] = set()
    for table, table_specs in by_table.items():
        if len(table_specs) < 2:
            continue
        for spec in table_specs:
            for key in batch.rows.get(spec.name, {}):
                keys.add(table + ":" + "|".join(map(str, key)))
            if spec is RACES_FROM_EVENT:
                for key, _ in batch.pending_race_times:
                    keys.add(table + ":" + "|".join(map(str, key)))
    if not keys:
        return 0
    # Sorted by the lock id itself (not by the key: two keys may share a hash), in a subquery
    # whose order the aggregate reads.
    (n,) = cur.execute(
        "SELECT count(pg_advisory_xact_lock(%s, h)) FROM "
        "(SELECT DISTINCT hashtext(k) AS h FROM unnest(%s::text[]) AS k ORDER BY 1) AS ordered",
        (KEY_LOCK_CLASS, sorted(keys)),
    ).fetchone()
    return int(n)


def find_first_writes(cur: psycopg.Cursor, batch: _Batch) -> None:
    """Which of the batch's race pages write a race, its results or its laps for the first time:
    no row of that race is stored in ``mre.races`` / ``mre.race_results`` / ``mre.laps`` (one
    query; run at the race-page step, after the event pages of the batch wrote their races).

    Such rows are COPYed straight into their tables (:func:`copy_first_rows`). Every race key
    of the batch is advisory-locked first (:func:`lock_keys_in_order`: ``races`` is written by two
    specs), so another worker storing the same race waits for this transaction and then finds
    its rows stored."""
    races = list(batch.race_scope)
    if not races:
        return
    for race_id, has_race, has_results, has_laps in cur.execute(
        "SELECT r, EXISTS (SELECT 1 FROM mre.races t WHERE t.race_id = r),"
        " EXISTS (SELECT 1 FROM mre.race_results t WHERE t.race_id = r),"
        " EXISTS (SELECT 1 FROM mre.laps t WHERE t.race_id = r)"
        " FROM unnest(%s::bigint[]) AS r",
        (races,),
    ).fetchall():
        if not has_race:
            batch.first_writes[RACES_FROM_PAGE.name].add(race_id)
        if not has_results:
            batch.first_writes[RESULTS.name].add(race_id)
        if not has_laps:
            batch.first_writes[LAPS.name].add(race_id)


def copy_first_rows(cur: psycopg.Cursor, batch: _Batch, spec: Upsert) -> int:
    """The rows of ``spec`` whose race has none stored yet (:func:`find_first_writes`), COPYed
    straight into the table (no stage, no ON CONFLICT: a first write is nothing but inserts, and
    an insert of a new row writes what the upsert would). Returns the rows copied; they leave the
    batch, and their races stay in ``batch.first_writes[spec.name]`` (nothing of theirs was stored
    to mark removed).

    Should another writer have inserted rows of the same race after all, the COPY fails on the
    primary key: rolled back to a savepoint, the rows go the upsert way instead (and their races
    leave ``first_writes``)."""
    new = batch.first_writes.get(spec.name)
    rows = batch.rows.get(spec.name)
    if not rows or not new:
        if new:
            new.clear()
        return 0
    if len(new) == len(batch.race_scope):  # every race of the batch (the usual first crawl)
        keys = None
        values = rows.values()
    else:
        keys = [k for k in rows if k[0] in new]
        values = [rows[k] for k in keys]
    cols = sql.SQL(", ").join(map(sql.Identifier, spec.columns))
    try:
        with cur.connection.transaction():  # a savepoint
            with cur.copy(sql.SQL("COPY {table} ({cols}) FROM STDIN").format(table=_t(spec.table), cols=cols)) as copy:
                write = copy.write_row
                for row in values:
                    write(row)
    except psycopg.errors.UniqueViolation:
        new.clear()
        return 0
    n = len(values)
    if keys is None:
        rows.clear()
    else:
        for k in keys:
            del rows[k]
    return n


def copy_first_laps(cur: psycopg.Cursor, batch: _Batch) -> int:
    """:func:`copy_first_rows` for laps, which the batch holds by race and driver
    (``batch.laps``): the laps of races with none stored are COPYed straight in, the others go to
    ``batch.rows[LAPS.name]`` for the upsert (and so do the copied ones when the COPY conflicts)."""
    new = batch.first_writes[LAPS.name]
    groups, batch.laps = batch.laps, {}
    upsert = batch.rows.setdefault(LAPS.name, {})
    first: list[tuple[tuple[int, int], dict[int, tuple]]] = []
    for key, laps in groups.items():
        if key[0] in new:
            first.append((key, laps))
        else:
            for lap_number, row in laps.items():
                upsert[(key[0], key[1], lap_number)] = row
    n = sum(len(laps) for _, laps in first)
    if not n:
        new.clear()
        return 0
    cols = sql.SQL(", ").join(map(sql.Identifier, LAPS.columns))
    try:
        with cur.connection.transaction():  # a savepoint
            with cur.copy(sql.SQL("COPY {table} ({cols}) FROM STDIN").format(table=_t(LAPS.table), cols=cols)) as copy:
                write = copy.write_row
                for _, laps in first:
                    for row in laps.values():
                        write(row)
    except psycopg.errors.UniqueViolation:
        new.clear()
        for key, laps in first:
            for lap_number, row in laps.items():
                upsert[(key[0], key[1], lap_number)] = row
        return 0
    return n


def _track_zones(cur: psycopg.Cursor, slugs: Iterable[str]) -> dict[str, str | None]:
    rows = cur.execute("SELECT slug, time_zone FROM mre.tracks WHERE slug = ANY(%s)", (list(slugs),)).fetchall()
    return dict(rows)


def _resolve_race_times(cur: psycopg.Cursor, batch: _Batch) -> None:
    zones = _track_zones(cur, {row["track_slug"] for _, row in batch.pending_race_times})
    for _, row in batch.pending_race_times:
        zone = zones.get(row["track_slug"])
        utc, flag = local_to_utc(row["completed_local"], zone)
        row.update(time_zone=zone, completed_utc=utc, time_flag=flag)
        batch.put(RACES_FROM_EVENT, tuple(row[c] for c in RACES_FROM_EVENT.columns))
    batch.pending_race_times.clear()
