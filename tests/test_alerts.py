"""Each alert rule fires and clears on run histories written into a real PostgreSQL; the
Prometheus file parses with prometheus_client's own parser; the webhook is received by a local
HTTP server once per change of state."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mre_crawler import alert_outputs, alerts, run_metrics
from mre_crawler.config import AlertSettings

DAY = timedelta(hours=24)


def settings(**env):
    return AlertSettings.from_settings(env)


def now(conn):
    return conn.execute("select now()").fetchone()[0]


def record(conn, kind, ago=timedelta(hours=1), **metrics):
    start = now(conn) - ago
    run_metrics.record(conn, kind, started_at=start, finished_at=start + timedelta(seconds=5), ok=True, metrics=metrics)


def rule(conn, name, **env):
    return next(r for r in alerts.evaluate(conn, DAY, settings=settings(**env)) if r.rule == name)


def test_nothing_stored_passes_every_rule(pg_conn):
    results = alerts.evaluate(pg_conn, DAY, settings=settings())
    assert [r.rule for r in results] == [
        "practice_discovery_failures", "practice_ingest_failures", "rate_limited", "practice_drift",
        "low_confidence_session_types", "sync_stale", "quarantine_growing"]
    assert not alerts.any_firing(results)


def test_discovery_failures_fire_above_ten_percent_and_clear_when_old(pg_conn):
    record(pg_conn, "practice-discover", discovery_requests=10, discovery_failed=1)
    assert rule(pg_conn, "practice_discovery_failures").state == "ok"  # 10% is not above 10%
    record(pg_conn, "practice-discover", discovery_requests=10, discovery_failed=2)
    r = rule(pg_conn, "practice_discovery_failures")
    assert (r.value, r.state) == (pytest.approx(0.15), "firing")
    pg_conn.execute("update mre.run_metrics set started_at = started_at - interval '2 days'")
    record(pg_conn, "practice-discover", discovery_requests=10, discovery_failed=0)
    assert rule(pg_conn, "practice_discovery_failures").state == "ok"


def test_ingest_failures_fire_above_five_percent(pg_conn):
    record(pg_conn, "practice-ingest", ingest_ok=19, ingest_failed=1)
    assert rule(pg_conn, "practice_ingest_failures").state == "ok"
    record(pg_conn, "practice-ingest", ingest_ok=0, ingest_failed=1)
    assert rule(pg_conn, "practice_ingest_failures").state == "firing"
    record(pg_conn, "practice-ingest", ingest_ok=100, ingest_failed=0)
    assert rule(pg_conn, "practice_ingest_failures").state == "ok"


def test_rate_limited_responses_fire_above_the_threshold(pg_conn):
    record(pg_conn, "crawl", requests=100, http_429=1, http_503=0)
    assert rule(pg_conn, "rate_limited").state == "ok"
    record(pg_conn, "crawl", requests=100, http_429=2, http_503=3)
    assert rule(pg_conn, "rate_limited").state == "firing"
    assert rule(pg_conn, "rate_limited", MRE_ALERT_RATE_LIMITED_SHARE="0.05").state == "ok"


def test_drift_fires_for_sessions_found_more_than_a_day_after_ingestion(pg_conn):
    record(pg_conn, "practice-ingest", drift_sessions=0, drift_max_hours=0)
    assert rule(pg_conn, "practice_drift").value == 0
    record(pg_conn, "practice-ingest", drift_sessions=3, drift_max_hours=6)
    assert rule(pg_conn, "practice_drift").state == "ok"
    record(pg_conn, "practice-ingest", drift_sessions=1, drift_max_hours=30)
    r = rule(pg_conn, "practice_drift")
    assert (r.value, r.state) == (30, "firing")
    pg_conn.execute("update mre.run_metrics set started_at = started_at - interval '2 days'")
    assert rule(pg_conn, "practice_drift").value is None


def test_low_confidence_session_types_from_the_last_build(pg_conn):
    record(pg_conn, "warehouse-build", timedelta(hours=3), low_confidence_session_types=50, session_types=100)
    assert rule(pg_conn, "low_confidence_session_types").state == "firing"
    record(pg_conn, "warehouse-build", timedelta(hours=1), low_confidence_session_types=5, session_types=100)
    r = rule(pg_conn, "low_confidence_session_types")
    assert (r.value, r.state) == (pytest.approx(0.05), "ok")


def test_a_followed_track_without_a_successful_sync_fires(pg_conn):
    pg_conn.execute("insert into mre.followed_tracks (slug, followed_at, last_sync_ok_at)"
                    " values ('fresh', now() - interval '10 days', now() - interval '2 hours'),"
                    " ('new', now() - interval '1 hour', null)")
    assert rule(pg_conn, "sync_stale").state == "ok"
    pg_conn.execute("update mre.followed_tracks set last_sync_ok_at = now() - interval '40 hours' where slug = 'fresh'")
    r = rule(pg_conn, "sync_stale")
    assert (r.value, r.state, r.detail) == (1, "firing", "stale: fresh")
    assert rule(pg_conn, "sync_stale", MRE_ALERT_SYNC_STALE_HOURS="48").state == "ok"
    pg_conn.execute("update mre.followed_tracks set last_sync_ok_at = now()")
    assert rule(pg_conn, "sync_stale").state == "ok"


def quarantine(conn, n, ago):
    for i in range(n):
        conn.execute("insert into mre.quarantine (url, item_key, reason, first_seen)"
                     " values (%s, '', 'test', now() - %s)", (f"https://x.liverc.com/p{ago}/{i}", ago))


def test_quarantine_growing_fires_and_clears_when_resolved(pg_conn):
    quarantine(pg_conn, 30, timedelta(days=3))  # old and open: not growth
    quarantine(pg_conn, 5, timedelta(hours=2))
    assert rule(pg_conn, "quarantine_growing").value == 5
    quarantine(pg_conn, 6, timedelta(hours=1))
    assert rule(pg_conn, "quarantine_growing").state == "firing"
    pg_conn.execute("update mre.quarantine set resolved_at = now() where first_seen > now() - interval '90 minutes'")
    assert rule(pg_conn, "quarantine_growing").state == "ok"


def test_the_prometheus_file_parses_with_prometheus_client(pg_conn, tmp_path):
    from prometheus_client.parser import text_string_to_metric_families

    record(pg_conn, "crawl", requests=100, http_429=5, latency_p95_ms=812.5)
    results = alerts.evaluate(pg_conn, DAY, settings=settings())
    path = tmp_path / "textfile" / "mre.prom"
    alert_outputs.write_prometheus(pg_conn, results, path, DAY)
    families = {f.name: f for f in text_string_to_metric_families(path.read_text())}
    firing = {s.labels["rule"]: s.value for s in families["mre_alert_firing"].samples}
    assert firing["rate_limited"] == 1 and firing["practice_drift"] == 0 and len(firing) == 7
    totals = {(s.labels["kind"], s.labels["metric"]): s.value for s in families["mre_run_metric"].samples}
    assert totals[("crawl", "requests")] == 100 and totals[("crawl", "latency_p95_ms")] == 812.5
    assert [s.value for s in families["mre_runs"].samples] == [1]
    assert not list(path.parent.glob("*.tmp*"))  # written via a temporary file, renamed


class Receiver:
    def __init__(self, on_post=None):
        self.posts: list[dict] = []
        self.raw: list[tuple[str | None, bytes]] = []  # (Idempotency-Key header, body) per post
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.posts.append(json.loads(body))
                outer.raw.append((self.headers.get("Idempotency-Key"), body))
                if on_post is not None:
                    on_post(len(outer.posts))  # the post has arrived; the answer not yet sent
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def notify(conn, url):
    return alert_outputs.notify_webhook(conn, alerts.evaluate(conn, DAY, settings=settings()), url, timeout=5)


def test_the_webhook_is_posted_once_per_change_of_state(pg_conn, receiver):
    assert notify(pg_conn, receiver.url) == "unchanged"  # all ok, never told: nothing to say
    record(pg_conn, "crawl", requests=10, http_429=5)
    assert notify(pg_conn, receiver.url) == "sent"
    assert notify(pg_conn, receiver.url) == "unchanged"
    assert len(receiver.posts) == 1
    post = receiver.posts[0]
    assert post["changed"] == ["rate_limited"] and [f["rule"] for f in post["firing"]] == ["rate_limited"]
    pg_conn.execute("update mre.run_metrics set started_at = started_at - interval '2 days'")
    assert notify(pg_conn, receiver.url) == "sent"  # cleared: one more post, nothing firing
    assert notify(pg_conn, receiver.url) == "unchanged"
    assert len(receiver.posts) == 2 and receiver.posts[1]["firing"] == [] and receiver.posts[1]["changed"] == ["rate_limited"]


def test_a_webhook_that_cannot_be_reached_is_tried_once_per_run(pg_conn, receiver):
    record(pg_conn, "crawl", requests=10, http_429=5)
    dead = receiver.url
    receiver.close()
    assert notify(pg_conn, dead).startswith("failed")
    assert pg_conn.execute("select count(*) from mre.alert_states").fetchone()[0] == 0  # the next run tries again
    again = Receiver()
    try:
        assert notify(pg_conn, again.url) == "sent" and len(again.posts) == 1
    finally:
        again.close()


def test_a_kill_between_the_post_and_its_commit_reposts_it_once_with_the_same_key(pg_conn, pg_url, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRE_")}
    env.update(MRE_DATABASE_URL=pg_url, MRE_HOME=str(tmp_path / "home"))
    proc: dict[str, subprocess.Popen] = {}

    def kill_the_poster(n: int) -> None:
        if n == 1:  # the receiver has the post; the poster dies before it hears back or commits
            os.kill(proc["p"].pid, signal.SIGKILL)
            proc["p"].wait(30)

    hook = Receiver(on_post=kill_the_poster)
    try:
        def health() -> subprocess.Popen:
            proc["p"] = subprocess.Popen([sys.executable, "-m", "mre_crawler", "health", "--webhook", hook.url],
                                         env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            return proc["p"]

        record(pg_conn, "crawl", requests=10, http_429=5)
        killed = health()
        killed.communicate(timeout=120)
        assert killed.returncode == -signal.SIGKILL and len(hook.posts) == 1
        assert pg_conn.execute("select count(*) from mre.alert_states").fetchone()[0] == 0  # never committed
        assert pg_conn.execute("select count(*) from mre.alert_notifications where sent_at is null").fetchone()[0] == 1

        again = health()
        out, err = again.communicate(timeout=120)
        assert again.returncode == 3, err
        assert "webhook: sent" in out
        # Posted once more: the same key (header and body) and the very same bytes.
        assert len(hook.posts) == 2 and hook.raw[0] == hook.raw[1]
        key = hook.posts[0]["idempotency_key"]
        assert key and hook.raw[0][0] == key
        assert hook.posts[0]["changed"] == ["rate_limited"]
        assert pg_conn.execute("select notified_state from mre.alert_states where rule = 'rate_limited'"
                               ).fetchone() == ("firing",)

        third = health()
        out, _err = third.communicate(timeout=120)
        assert "webhook: unchanged" in out and len(hook.posts) == 2  # told: no more posts
        # A receiver that keeps the keys it has seen got the change exactly once.
        assert len({p["idempotency_key"] for p in hook.posts}) == 1
    finally:
        hook.close()


def test_mre_health_exits_3_when_a_rule_fires(pg_conn, pg_url, monkeypatch, capsys):
    from mre_crawler.cli import main

    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    assert main(["health", "--json"]) == 0
    record(pg_conn, "crawl", requests=10, http_429=5)
    assert main(["health", "--since", "2h"]) == 3
    out = capsys.readouterr().out
    assert "FIRING  rate_limited" in out
    assert main(["health", "--since", "30m"]) == 0


def test_log_json_writes_one_object_per_alert_event(pg_conn, pg_url, monkeypatch, tmp_path, capsys):
    from mre_crawler.cli import main

    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    record(pg_conn, "crawl", requests=10, http_429=5)
    log = tmp_path / "events.jsonl"
    assert main(["health", "--log-json", str(log)]) == 3
    events = [json.loads(line) for line in log.read_text().splitlines()]
    alerts_logged = {e["rule"]: e["state"] for e in events if e["event"] == "alert"}
    assert len(alerts_logged) == 7 and alerts_logged["rate_limited"] == "firing"
    assert "FIRING  rate_limited" in capsys.readouterr().out  # the plain output is unchanged
