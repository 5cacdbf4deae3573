"""Practice runs against a local server that pushes back: 429 with Retry-After, 503, a spent
budget, and two processes ingesting the same day at once. Waits are checked in the server's
request log and the run's stats, never by timing the test."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from mre_crawler.serve import ScriptedAnswer
from mre_crawler.urls import practice_day_url, practice_session_url
from tests.test_practice_site import TRACK, truth_days

pytestmark = [pytest.mark.db]

FAST = {"MRE_RETRY_BACKOFF_BASE": "0.05", "MRE_AUTOTHROTTLE_ENABLED": "0"}


def _a_day(site):
    truth = truth_days(site, TRACK)
    day = min(d for d in truth if d.month >= 9)  # a plain day with a dozen sessions or so
    return day, truth[day][0]


def test_429_retry_after_then_503_is_waited_out_and_the_day_is_complete(practice_site, serve, practice, pg_conn):
    server = serve(practice_site)
    day, overview = _a_day(practice_site)
    url = practice_day_url(TRACK, day)
    server.script(url, [ScriptedAnswer(429, {"Retry-After": "1"}), ScriptedAnswer(503)])

    run = practice("ingest", TRACK, site=server.site, date=day.isoformat(), **FAST)

    log = server.requests_for(url)
    assert [r.status for r in log] == [429, 503, 200]
    assert log[1].at - log[0].at >= 1.0  # waited as Retry-After told
    stats = run.result.stats
    assert stats["mre/retry/retry_after/429"] == 1 and stats["retry/count"] == 2
    assert run.metrics["retries"] == 2 and run.metrics["retry_after_waits"] >= 1
    assert not run.failures
    assert pg_conn.execute("SELECT count(*) FROM mre.practice_sessions WHERE removed_at IS NULL").fetchone()[0] == \
        len(overview.sessions)
    assert pg_conn.execute("SELECT retries, retry_after_waits >= 1 FROM mre.practice_runs WHERE run_id = %s",
                           (run.run_id,)).fetchone() == (2, True)
    # The whole track paused for the Retry-After, and the run's summary says so.
    from mre_crawler.commands.practice import format_run

    assert f"  paused {TRACK} 1 s (Retry-After, HTTP 429)" in format_run(run).splitlines()


def test_a_spent_budget_stops_cleanly_keeps_the_day_and_says_when_it_resets(practice_site, serve, practice, pg_conn):
    from mre_crawler.commands.practice import format_run

    server = serve(practice_site)
    day, overview = _a_day(practice_site)
    polite = {"MRE_POLITE": "1", "MRE_PRACTICE_RATE_PER_MINUTE": "6000", "MRE_PRACTICE_DAILY_BUDGET": "4", **FAST}

    run = practice("ingest", TRACK, site=server.site, date=day.isoformat(), **polite)

    tomorrow = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
    assert run.budget_resets_at == f"{tomorrow.isoformat()}T00:00:00+00:00"
    assert len(server.log) == 4  # dashboard, overview, two session pages: then nothing
    spent = [f for f in run.failures if "budget" in f[1]]
    assert len(spent) == len(overview.sessions) - 2
    [outcome] = run.report.outcomes
    assert outcome.sessions == len(overview.sessions) and len(outcome.details_failed) == len(spent)
    assert pg_conn.execute("SELECT count(*) FROM mre.practice_retry WHERE resolved_at IS NULL").fetchone()[0] == \
        len(spent)
    text = format_run(run)
    assert "budget spent" in text and f"resets at {tomorrow.isoformat()}T00:00:00" in text
    # The budget is persisted under the track's practice ledger, so the next run stops at once.
    assert pg_conn.execute("SELECT used, budget FROM mre.politeness_budget WHERE track_slug = %s",
                           (f"{TRACK}/practice",)).fetchone() == (4, 4)
    again = practice("retry", TRACK, site=server.site, **polite)
    assert len(server.log) == 4 and again.budget_resets_at == run.budget_resets_at
    assert pg_conn.execute("SELECT budget_resets_at IS NOT NULL FROM mre.practice_runs WHERE run_id = %s",
                           (run.run_id,)).fetchone()[0]


def test_two_ingests_of_the_same_day_started_together_leave_one_copy(practice_site, serve, practice, pg_conn):
    server = serve(practice_site)
    day, overview = _a_day(practice_site)
    # Whoever holds the day is kept busy for a second by one slow session page.
    slow = overview.sessions[0].session_id
    server.script(practice_session_url(TRACK, slow), [ScriptedAnswer(503, {"Retry-After": "1"})])
    runs = []

    def ingest():
        runs.append(practice("ingest", TRACK, site=server.site, date=day.isoformat(),
                             MRE_PRACTICE_LOCK_WAIT="0.3", **FAST))

    threads = [threading.Thread(target=ingest) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    statuses = sorted(o.status for r in runs for o in r.report.outcomes)
    # The holder is kept on the day for the 1 s Retry-After, longer than the other's 0.3 s wait.
    assert statuses == ["busy", "stored"]
    for r in runs:
        for o in r.report.outcomes:
            if o.status == "busy":
                assert o.state["source_event_id"] == f"{TRACK}-practice-{day.isoformat()}"
    # Exactly one copy, and no session page fetched twice (the second process never ingested it).
    assert pg_conn.execute("SELECT count(*) FROM mre.events").fetchone()[0] == 1
    assert pg_conn.execute("SELECT count(*) FROM mre.practice_sessions").fetchone()[0] == len(overview.sessions)
    session_requests = [r.path for r in server.log if "view_session" in r.path]
    assert len(session_requests) == len(overview.sessions) + 1  # + the scripted 503
