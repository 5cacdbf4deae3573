"""A crawl over a generated site writes one mre.run_metrics row whose counts match what the local
server saw: requests from its log, 503s it answered, the retries they caused."""

from __future__ import annotations

import pytest

from mre_crawler.faultserver import FaultRule
from mre_crawler.samplesite import load_truth

pytestmark = pytest.mark.db


def test_a_crawl_records_its_run_metrics(small_site, fault_server, crawl, pg_conn, tmp_path):
    slug = load_truth(small_site)["tracks"][0]["slug"]
    server = fault_server(small_site, [FaultRule("status", page_type="race_result", first=1, share=0.5,
                                                 retry_after="0")])
    result = crawl("track", {"track": slug}, MRE_SITE=server.site, MRE_HOME=str(tmp_path / "home"),
                   MRE_RETRY_BACKOFF_BASE="0")
    assert result.failures == []
    rows = pg_conn.execute("select kind, run_ref, track_slug, ok, metrics from mre.run_metrics").fetchall()
    assert len(rows) == 1
    kind, run_ref, track, ok, m = rows[0]
    assert (kind, track, ok) == ("crawl", slug, True)
    assert run_ref == str(result.stats["mre/run_id"])
    assert m["fetched"] == len(server.log) and m["cache_hits"] == 0  # every request reached the server
    served_503 = sum(1 for e in server.log if e.status == 503)
    assert served_503 > 0 and m["http_503"] == served_503 and m["retries"] == served_503
    assert m["rows_written"] == result.rows_written > 0
    assert m["pages_failed"] == 0 and m["quarantined"] == 0
    assert 0 < m["latency_p50_ms"] <= m["latency_p95_ms"]
    assert m["duration_s"] > 0
