"""Removal marking: rows of a written page that vanished upstream get ``removed_at``, never deleted."""

from __future__ import annotations

import psycopg
from psycopg import sql

from mre_crawler.store.lineups import KEY_TYPES as LINEUP_KEY_TYPES
from mre_crawler.store.rows import _Batch
from mre_crawler.store.specs import LAPS, RACES_FROM_EVENT, RESULTS, Upsert, _t


def _present_keys(batch: _Batch, spec: Upsert, scope_col_index: int, scope: set[int]) -> list[tuple]:
    return [k for k in batch.rows.get(spec.name, {}) if k[scope_col_index] in scope]


def _mark_removed_races(cur: psycopg.Cursor, batch: _Batch) -> int:
    present = [k[0] for k, row in batch.rows.get(RACES_FROM_EVENT.name, {}).items()]
    cur.execute(
        """UPDATE mre.races t SET removed_at = now(), updated_at = now()
           WHERE t.event_id = ANY(%s) AND t.removed_at IS NULL AND NOT (t.race_id = ANY(%s))""",
        (list(batch.event_scope), present),
    )
    return cur.rowcount


def _mark_removed_results(cur: psycopg.Cursor, batch: _Batch) -> int:
    scope = batch.race_scope - batch.first_writes[RESULTS.name]
    if not scope:
        return 0
    present = [k for k in batch.rows.get(RESULTS.name, {}) if k[0] in scope]
    present += list(batch.held_results)
    cur.execute(
        """UPDATE mre.race_results t SET removed_at = now(), updated_at = now()
           WHERE t.race_id = ANY(%s) AND t.removed_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM unnest(%s::bigint[], %s::bigint[]) AS p(race_id, driver_id)
                             WHERE p.race_id = t.race_id AND p.driver_id = t.driver_id)""",
        (list(scope), [k[0] for k in present], [k[1] for k in present]),
    )
    return cur.rowcount


def _mark_removed_laps(cur: psycopg.Cursor, batch: _Batch) -> int:
    # The laps stage of this flush holds every present lap; rejected drivers' laps are kept as is.
    scope = batch.race_scope - batch.laps_kept - batch.first_writes[LAPS.name]
    if not scope:
        return 0
    held = list(batch.held_results)
    has_stage = LAPS.name in batch.rows and batch.rows[LAPS.name]
    exists_stage = (
        "AND NOT EXISTS (SELECT 1 FROM stage_laps s WHERE s.race_id = t.race_id AND s.driver_id = t.driver_id "
        "AND s.lap_number = t.lap_number)"
        if has_stage else ""
    )
    cur.execute(
        f"""UPDATE mre.laps t SET removed_at = now(), updated_at = now()
            WHERE t.race_id = ANY(%s) AND t.removed_at IS NULL {exists_stage}
              AND NOT EXISTS (SELECT 1 FROM unnest(%s::bigint[], %s::bigint[]) AS h(race_id, driver_id)
                              WHERE h.race_id = t.race_id AND h.driver_id = t.driver_id)""",  # noqa: S608 - static text
        (list(scope), [h[0] for h in held], [h[1] for h in held]),
    )
    return cur.rowcount


def _mark_removed_scoped(
    cur: psycopg.Cursor, table: str, scope_col: str, rest: tuple[str, ...], batch: _Batch, spec: Upsert,
    scope: set[int],
) -> int:
    present = _present_keys(batch, spec, 0, scope)
    key_cols = (scope_col, *rest)
    types = {"event_id": "bigint", "points_id": "bigint", "round_number": "integer", "multi_main_id": "bigint",
             "leg_number": "integer", **LINEUP_KEY_TYPES}
    arrays = sql.SQL(", ").join(
        sql.SQL("%s::{}[]").format(sql.SQL(types.get(c, "text"))) for c in key_cols
    )
    match = sql.SQL(" AND ").join(sql.SQL("p.{c} = t.{c}").format(c=sql.Identifier(c)) for c in key_cols)
    query = sql.SQL(
        "UPDATE {table} t SET removed_at = now(), updated_at = now() "
        "WHERE t.{scope_col} = ANY(%s) AND t.removed_at IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM unnest({arrays}) AS p({names}) WHERE {match})"
    ).format(
        table=_t(table), scope_col=sql.Identifier(scope_col), arrays=arrays,
        names=sql.SQL(", ").join(map(sql.Identifier, key_cols)), match=match,
    )
    params = [list(scope)] + [[k[i] for k in present] for i in range(len(key_cols))]
    cur.execute(query, params)
    return cur.rowcount
