"""Batched upserts: COPY into a stage, INSERT … ON CONFLICT … WHERE the row differs; race times at flush time."""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
from psycopg import sql

from mre_crawler.store.rows import _Batch
from mre_crawler.store.specs import LAPS, RACES_FROM_EVENT, Upsert, _t
from mre_crawler.timezones import local_to_utc


def upsert_rows(cur: psycopg.Cursor, spec: Upsert, rows: list[tuple]) -> tuple[int, int]:
    """COPY rows into a stage, then INSERT … ON CONFLICT … WHERE differs. Returns (inserted, updated)."""
    stage = sql.Identifier(f"stage_{spec.name.replace('<-', '_from_')}")
    cols = sql.SQL(", ").join(map(sql.Identifier, spec.columns))
    cur.execute(
        sql.SQL("CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA").format(
            stage=stage, cols=cols, table=_t(spec.table))
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


def copy_new_laps(cur: psycopg.Cursor, batch: _Batch) -> int:
    """The laps of races with no lap stored yet, COPYed straight into ``mre.laps`` (no stage, no
    ON CONFLICT: a first write is nothing but inserts). Returns the rows copied; they leave the
    batch, and their races the removal scope (nothing of theirs was stored to mark removed).

    Another writer inserting the same race's first laps at the same moment makes the COPY fail
    on the primary key: rolled back to a savepoint, those laps go the upsert way instead."""
    rows = batch.rows.get(LAPS.name)
    if not rows:
        return 0
    races = list({k[0] for k in rows})
    stored = {r for (r,) in cur.execute(
        "SELECT r FROM unnest(%s::bigint[]) AS r WHERE EXISTS (SELECT 1 FROM mre.laps l WHERE l.race_id = r)",
        (races,)).fetchall()}
    new = set(races) - stored
    if not new:
        return 0
    keys = [k for k in rows if k[0] in new]
    cols = sql.SQL(", ").join(map(sql.Identifier, LAPS.columns))
    try:
        with cur.connection.transaction():  # a savepoint
            with cur.copy(sql.SQL("COPY {table} ({cols}) FROM STDIN").format(table=_t(LAPS.table), cols=cols)) as copy:
                for k in keys:
                    copy.write_row(rows[k])
    except psycopg.errors.UniqueViolation:
        return 0
    for k in keys:
        del rows[k]
    batch.laps_new.update(new)
    return len(keys)


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
