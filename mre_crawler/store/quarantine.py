"""Quarantine: pages or items that failed, kept with body, hash, reason and raw fields; resolved when stored."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from typing import Any

import psycopg
from psycopg.types.json import Jsonb


def _quarantine_row(url, page_type, body, body_sha256, reason, raw, item_key) -> tuple:
    if body is not None and body_sha256 is None:
        body_sha256 = hashlib.sha256(body).hexdigest()
    return (url, page_type, item_key or "", reason, body, body_sha256,
            Jsonb(_jsonable(raw)) if raw is not None else None)


def _resolve_quarantine(cur: psycopg.Cursor, urls: list[str], quarantine: list[tuple]) -> None:
    """A page stored now resolves its open quarantine entries, except the parts rejected again."""
    still_bad = [[q[0], q[2]] for q in quarantine]
    cur.execute(
        """UPDATE mre.quarantine q SET resolved_at = now()
           WHERE q.url = ANY(%s) AND q.resolved_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM unnest(%s::text[], %s::text[]) AS b(url, item_key)
                             WHERE b.url = q.url AND b.item_key = q.item_key)""",
        (urls, [b[0] for b in still_bad], [b[1] for b in still_bad]),
    )


def _write_quarantine(cur: psycopg.Cursor, rows: list[tuple], run_id: int | None) -> int:
    cur.executemany(
        """INSERT INTO mre.quarantine AS q (url, page_type, item_key, reason, body, body_sha256, raw, run_id)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (url, item_key) WHERE resolved_at IS NULL DO UPDATE SET
               reason = EXCLUDED.reason, page_type = COALESCE(EXCLUDED.page_type, q.page_type),
               body = COALESCE(EXCLUDED.body, q.body), body_sha256 = COALESCE(EXCLUDED.body_sha256, q.body_sha256),
               raw = COALESCE(EXCLUDED.raw, q.raw), last_seen = now(), attempts = q.attempts + 1,
               run_id = EXCLUDED.run_id""",
        [(*r, run_id) for r in rows],
    )
    return len(rows)


def _item_raw(item: Any) -> Any:
    if isinstance(item, list):
        return [_item_raw(x) for x in item[:50]]
    if dataclasses.is_dataclass(item):
        data = dataclasses.asdict(item)
        # A race's laps are the bulk of the page; the body keeps them, the summary need not.
        for res in data.get("results", []) if isinstance(data.get("results"), list) else []:
            if isinstance(res, dict) and "lap_list" in res:
                res["lap_list"] = f"{len(res['lap_list'])} laps"
        return data
    return item


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(v: Any) -> Any:
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if dataclasses.is_dataclass(v):
        return dataclasses.asdict(v)
    if isinstance(v, (set, frozenset)):
        return sorted(v)
    return str(v)
