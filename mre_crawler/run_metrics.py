"""One metrics row per run of any kind, in ``mre.run_metrics`` (issue 10).

Every long job (crawl, practice discover/ingest, sync, warehouse build, reprocess, ...) records
what it did with :func:`record`; ``mre health`` reads the rows back. ``metrics`` is a flat dict of
numbers whose well-known keys are listed in migration 0070 (requests, latency_p50_ms, cache_hits,
http_429, pages_failed, quarantined, rows_written, duration_s, ...); unknown keys are kept as-is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb


def record(
    conn: psycopg.Connection,
    kind: str,
    *,
    started_at: datetime,
    finished_at: datetime | None,
    ok: bool | None,
    metrics: Mapping[str, Any],
    run_ref: str | int | None = None,
    track_slug: str | None = None,
) -> int:
    """Insert one run's metrics (in the caller's transaction) and return its ``metric_id``."""
    row = conn.execute(
        "insert into mre.run_metrics (kind, run_ref, track_slug, started_at, finished_at, ok, metrics)"
        " values (%s, %s, %s, %s, %s, %s, %s) returning metric_id",
        (
            kind,
            None if run_ref is None else str(run_ref),
            track_slug,
            started_at,
            finished_at,
            ok,
            Jsonb(dict(metrics)),
        ),
    ).fetchone()
    return row[0]
