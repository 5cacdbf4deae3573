"""Politeness with --polite against a local server: Retry-After, backoff, daily budget, rate ceiling.

Waits are checked from the server's own request log (when each request arrived) and the crawl's
stats, never by timing the test.
"""

from __future__ import annotations

import datetime as dt

import pytest

from mre_crawler.samplesite import load_truth, read_manifest
from mre_crawler.serve import ScriptedAnswer
from tests.fixtures_crawl import expected_counts, stored_counts

pytestmark = pytest.mark.db

POLITE = {
    "MRE_POLITE": "1",
    "MRE_RATE_PER_MINUTE": "6000",  # one request per 10 ms: the ceiling is on but not in the way
    "AUTOTHROTTLE_START_DELAY": "0.05",
    "MRE_RETRY_BACKOFF_BASE": "0.2",
}


def slug(site):
    return load_truth(site)["tracks"][0]["slug"]


def test_429_with_retry_after_then_503_then_200_waits_as_told_and_completes(small_site, serve, crawl, pg_conn):
    server = serve(small_site)
    events_url = f"https://{slug(small_site)}.liverc.com/events/"
    server.script(events_url, [ScriptedAnswer(429, {"Retry-After": "1"}), ScriptedAnswer(503)])
    result = crawl("track", {"track": slug(small_site)}, MRE_SITE=server.site, **POLITE)

    answers = server.requests_for(events_url)
    assert [a.status for a in answers] == [429, 503, 200]
    assert answers[1].at - answers[0].at >= 1.0  # Retry-After: 1 honoured
    assert answers[2].at - answers[1].at >= 0.4  # second retry: backoff 0.2 * 2
    # The 429 paused the whole track, not only that URL: nothing else went out meanwhile.
    track_requests = [r for r in server.log if r.path.startswith(f"/{slug(small_site)}/")]
    assert not [r for r in track_requests if answers[0].at < r.at < answers[0].at + 1.0]
    assert result.stat("mre/retry/retry_after/429") == 1 and result.retries == 2
    assert result.failures == []
    assert stored_counts(pg_conn) == expected_counts(small_site)


def test_a_spent_daily_budget_stops_the_track_cleanly_and_says_when_it_resets(small_site, serve, crawl, pg_conn):
    server = serve(small_site)
    track = slug(small_site)
    result = crawl("track", {"track": track}, MRE_SITE=server.site, MRE_DAILY_BUDGET="6", **POLITE)

    assert result.stats["finish_reason"] == "finished"
    assert len(server.log) == 6  # robots.txt, dashboard, events list, then 3 pages of the first events
    assert result.budget_used == 6
    tomorrow = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
    assert result.budget_spent == {track: f"{tomorrow.isoformat()}T00:00:00+00:00"}
    assert result.stats[f"mre/budget/warned/{track}"] == "6/6"  # warned at 90% (5.4 of 6)
    refused = [reason for _url, reason in result.failures if "budget" in reason]
    assert refused and all(f"resets at {tomorrow:%Y-%m-%d} 00:00 UTC" in r for r in refused)
    used = pg_conn.execute("SELECT used, budget FROM mre.politeness_budget WHERE track_slug = %s", (track,)).fetchone()
    assert used == (6, 6)

    # Another run (another process would do the same) finds the budget spent in the database:
    # it sends nothing, and what it has in its cache still costs nothing.
    again = crawl("track", {"track": track}, MRE_SITE=server.site, MRE_DAILY_BUDGET="6", **POLITE)
    assert len(server.log) == 6 and again.budget_used == 0 and track in again.budget_spent
    assert again.cache_hits == 5  # the five pages fetched before (robots.txt is never cached)


def test_the_rate_ceiling_spaces_a_tracks_requests(small_site, serve, crawl, pg_conn):
    server = serve(small_site)
    track = slug(small_site)
    event_url = next(u for _f, u, t in read_manifest(small_site) if t == "event")
    result = crawl("event", {"url": event_url}, MRE_SITE=server.site, **{**POLITE, "MRE_RATE_PER_MINUTE": "600"})

    times = sorted(r.at for r in server.log if r.path.startswith(f"/{track}/"))
    assert len(times) >= 10
    # 600 per minute is one slot every 0.1 s. A request leaves at its slot or later (the event
    # loop or the local server can lag on a loaded machine), never before, so any two requests
    # are at least their slots' distance apart, less the lag of the earlier one: up to 0.25 s
    # allowed here. Unthrottled, the whole event goes out in a burst far tighter than that.
    shortfall = max((j - i) * 0.1 - (times[j] - times[i]) for i in range(len(times)) for j in range(i + 1, len(times)))
    assert shortfall <= 0.25, f"two requests {shortfall:.3f} s closer than their rate slots"
    assert times[-1] - times[0] >= (len(times) - 1) * 0.1 - 0.05
    assert result.stat("mre/rate/waits") > 0
    assert pg_conn.execute("SELECT count(*) FROM mre.politeness_rate WHERE track_slug = %s", (track,)).fetchone()[0] == 1


def test_without_polite_a_loopback_site_runs_unthrottled(small_site, serve, crawl, pg_conn):
    server = serve(small_site)
    result = crawl("track", {"track": slug(small_site)}, MRE_SITE=server.site, MRE_DAILY_BUDGET="3")
    assert result.budget_used == 0 and not result.budget_spent
    assert len(server.log) > 3
    assert pg_conn.execute("SELECT count(*) FROM mre.politeness_budget").fetchone()[0] == 0


# -- a Retry-After pauses the whole track (issue 9) -----------------------------------------------

def _track_requests_during(server, track, since, seconds):
    return [r for r in server.log if r.path.startswith(f"/{track}/") and since < r.at < since + seconds]


def _race_to_script(server, site):
    """The first event, and a race page in the middle of the ones its page links."""
    manifest = read_manifest(site)
    event_file, event_url = next((f, u) for f, u, t in manifest if t == "event")
    event_page = (site / event_file).read_text()
    races = [u for _f, u, t in manifest if t == "race_result" and f"id={u.rsplit('=', 1)[1]}" in event_page]
    assert len(races) >= 8
    return event_url, races[len(races) // 2]


def test_a_retry_after_pauses_every_queued_request_of_the_track_and_the_summary_says_so(small_site, serve, crawl,
                                                                                         pg_conn):
    from mre_crawler.crawl import format_summary

    server = serve(small_site)
    track = slug(small_site)
    event_url, race_url = _race_to_script(server, small_site)
    server.script(race_url, [ScriptedAnswer(429, {"Retry-After": "2"})])
    # 600 a minute: requests wait for their rate slot (0.1 s apart) when the 429 comes back, so
    # the pause has to reach requests already past the retry middleware.
    result = crawl("event", {"url": event_url}, MRE_SITE=server.site, **{**POLITE, "MRE_RATE_PER_MINUTE": "600"})

    [told, again] = server.requests_for(race_url)
    assert told.status == 429 and again.status == 200 and again.at - told.at >= 2.0
    # After the 429 was answered at most one request of the track was already on its way
    # (two per track at a time); nothing else of the track went out during the pause.
    during = _track_requests_during(server, track, told.at, 2.0)
    assert len(during) <= 1 and all(r.at - told.at < 0.5 for r in during), during
    later = [r for r in server.log if r.path.startswith(f"/{track}/") and r.at >= told.at + 2.0]
    assert len(later) > 5  # the rest of the event came after the pause
    assert result.failures == []
    assert result.stat("mre/pause/count") == 1 and result.stats[f"mre/pause/track/{track}"] == pytest.approx(2, abs=0.2)
    assert f"  paused        {track} 2 s (Retry-After, HTTP 429)" in format_summary(result).splitlines()
    # The pause is in the database for every process, on the database clock.
    paused = pg_conn.execute("SELECT paused_until > now() - interval '1 minute', pause_reason "
                             "FROM mre.politeness_rate WHERE track_slug = %s", (track,)).fetchone()
    assert paused == (True, "Retry-After, HTTP 429")


def test_without_polite_a_loopback_replay_pauses_the_track_in_process(small_site, serve, crawl, pg_conn):
    server = serve(small_site)
    track = slug(small_site)
    event_url, race_url = _race_to_script(server, small_site)
    server.script(race_url, [ScriptedAnswer(503, {"Retry-After": "2"})])
    # One request at a time, 0.1 s apart: the rest of the event is still queued (many of them in
    # Scrapy's download slot, past every middleware) when the 503 comes back.
    result = crawl("event", {"url": event_url}, MRE_SITE=server.site, CONCURRENT_REQUESTS_PER_DOMAIN="1",
                   DOWNLOAD_DELAY="0.1", MRE_RETRY_BACKOFF_BASE="0.2")

    [told, again] = server.requests_for(race_url)
    assert told.status == 503 and again.at - told.at >= 2.0
    assert _track_requests_during(server, track, told.at, 2.0) == []
    assert result.failures == [] and result.stat("mre/pause/count") == 1
    # Not polite: nothing written to the shared ledger (a replay must not pause the real track).
    assert pg_conn.execute("SELECT count(*) FROM mre.politeness_rate").fetchone()[0] == 0


def test_a_second_crawler_sharing_the_database_honours_the_pause(small_site, serve, crawl, pg_conn, tmp_path):
    import threading
    import time

    server = serve(small_site)
    track = slug(small_site)
    event_url, race_url = _race_to_script(server, small_site)
    server.script(race_url, [ScriptedAnswer(429, {"Retry-After": "3"})])
    first: list = []
    thread = threading.Thread(target=lambda: first.append(
        crawl("event", {"url": event_url}, MRE_SITE=server.site, **POLITE)))
    thread.start()
    deadline = time.time() + 60
    while not any(r.status == 429 for r in server.log) and time.time() < deadline:
        time.sleep(0.02)
    [told] = [r for r in server.log if r.status == 429]
    # Another crawler (its own process state, its own cache) starts on the same track meanwhile:
    # it learns of the pause only from PostgreSQL.
    started = len(server.log)
    second = crawl("track", {"track": track, "events": "0"}, MRE_SITE=server.site, MRE_HOME=str(tmp_path / "other"),
                   **POLITE)
    thread.join(120)

    theirs = [r for r in server.log[started:] if r.path in (f"/{track}/robots.txt", f"/{track}/", f"/{track}/events/")]
    assert theirs and all(r.at >= told.at + 3.0 - 0.05 for r in theirs), (told.at, theirs)
    assert second.stat("mre/pause/waits") >= 1 and second.stats[f"mre/pause/track/{track}"] > 0
    assert first[0].failures == [] and second.failures == []
    # No rate slot was handed out inside the pause.
    row = pg_conn.execute("SELECT next_request_at >= paused_until FROM mre.politeness_rate WHERE track_slug = %s",
                          (track,)).fetchone()
    assert row == (True,)


@pytest.mark.parametrize("argv, message", [
    (["--rate", "50"], "rate 50/min is above the default 10/min"),
    (["--budget", "5000"], "budget 5000 is above the default 1000/day"),
])
def test_raising_a_limit_above_its_default_needs_above_default(argv, message, pg_url, pg_conn, tmp_path, monkeypatch,
                                                                 capsys):
    from mre_crawler.cli import main

    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    monkeypatch.setenv("MRE_HOME", str(tmp_path))
    assert main(["crawl", "limits", "sometrack", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "--above-default" in err[0]
    assert pg_conn.execute("SELECT count(*) FROM mre.politeness_track_limits").fetchone()[0] == 0
    # Asked for explicitly: accepted, with a warning naming the default.
    assert main(["crawl", "limits", "sometrack", *argv, "--above-default"]) == 0
    assert message in capsys.readouterr().err
    assert pg_conn.execute("SELECT count(*) FROM mre.politeness_track_limits").fetchone()[0] == 1


def test_lowering_a_limit_needs_no_flag(pg_url, pg_conn, tmp_path, monkeypatch, capsys):
    from mre_crawler.cli import main

    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    monkeypatch.setenv("MRE_HOME", str(tmp_path))
    assert main(["crawl", "limits", "sometrack", "--rate", "5", "--budget", "300"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert pg_conn.execute("SELECT rate_per_minute, daily_budget FROM mre.politeness_track_limits").fetchone() == (5, 300)
