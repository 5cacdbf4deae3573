"""run_metrics.record writes one row a run, read back as written."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mre_crawler import run_metrics


def test_a_recorded_run_reads_back_with_its_metrics(pg_conn):
    start = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)
    mid = run_metrics.record(
        pg_conn, "crawl", run_ref=42, track_slug="myclub", started_at=start,
        finished_at=start + timedelta(seconds=90), ok=True,
        metrics={"requests": 120, "http_429": 2, "latency_p95_ms": 812.5},
    )
    kind, ref, slug, ok, metrics = pg_conn.execute(
        "select kind, run_ref, track_slug, ok, metrics from mre.run_metrics where metric_id = %s", (mid,)
    ).fetchone()
    assert (kind, ref, slug, ok) == ("crawl", "42", "myclub", True)
    assert metrics == {"requests": 120, "http_429": 2, "latency_p95_ms": 812.5}
