"""``mre sync`` ends with ``mre health``'s rules: a firing rule makes the sync exit 3 and posts the
webhook once per change of state."""

from __future__ import annotations

from datetime import timedelta

from mre_crawler import following, run_metrics
from mre_crawler.sync.runner import run_sync
from mre_crawler.sync.summary import exit_code
from tests.test_alerts import Receiver
from tests.test_sync import _settings, _truth, sync_site  # noqa: F401  (the module's site fixture)


def test_a_sync_exits_3_when_a_stored_run_rule_fires_and_posts_the_webhook_once(
        sync_site, fault_server, pg_url, pg_conn, tmp_path, monkeypatch):  # noqa: F811
    slug, _listed, _pages = _truth(sync_site)
    server = fault_server(sync_site)
    receiver = Receiver()
    try:
        monkeypatch.setenv("MRE_ALERT_WEBHOOK", receiver.url)
        assert following.follow(pg_conn, slug, practice=False, since=None)
        settings = _settings(pg_url, tmp_path / "home", server.site)

        clean = run_sync(settings, build=False)
        assert not clean.alerts and exit_code(clean) == 0 and receiver.posts == []

        start = pg_conn.execute("select now()").fetchone()[0] - timedelta(hours=1)
        run_metrics.record(pg_conn, "crawl", started_at=start, finished_at=start, ok=True,
                           metrics={"requests": 10, "http_429": 6})
        fired = run_sync(settings, build=False)
        assert [a.split(":")[0] for a in fired.alerts] == ["alert rate_limited"]
        assert exit_code(fired) == 3
        again = run_sync(settings, build=False)
        assert exit_code(again) == 3
        assert len(receiver.posts) == 1 and receiver.posts[0]["changed"] == ["rate_limited"]
    finally:
        receiver.close()
