"""Practice discover / ingest write run metrics: discovery results per range, ingestion successes,
and drift (sessions that appeared after their day was ingested, and how long after)."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt

from mre_crawler.samplesite import load_truth
from mre_crawler.samplesite.render import render_practice_day
from mre_crawler.urls import practice_day_url
from tests.test_practice_site import RANGES, TRACK, truth_days


def metrics(conn, kind):
    return [r[0] for r in conn.execute(
        "select metrics from mre.run_metrics where kind = %s order by metric_id", (kind,))]


def test_discovery_and_ingestion_record_their_counts(practice_site, serve, practice, pg_conn):
    server = serve(practice_site)
    truth = truth_days(practice_site, TRACK)
    first, last = RANGES[0]
    in_range = [d for d in truth if dt.date.fromisoformat(first) <= d <= dt.date.fromisoformat(last)]
    practice("discover", TRACK, site=server.site, date_from=first, date_to=last)
    [m] = metrics(pg_conn, "practice-discover")
    assert m["discovery_results"] == len(in_range) > 0
    assert m["discovery_requests"] > 0 and m["discovery_failed"] == 0
    practice("ingest", TRACK, site=server.site, date_from=first, date_to=last)
    [m] = metrics(pg_conn, "practice-ingest")
    assert (m["ingest_ok"], m["ingest_failed"], m["drift_sessions"]) == (len(in_range), 0, 0)


def test_sessions_found_after_the_day_was_ingested_are_drift_with_their_delay(
        practice_site, serve, practice, pg_conn, tmp_path):
    server = serve(practice_site)
    day = max(truth_days(practice_site, TRACK))
    overview, _ = truth_days(practice_site, TRACK)[day]
    name = load_truth(practice_site)["tracks"][0]["name"]

    def publish(sessions):
        stats = dataclasses.replace(overview.stats, total_laps=sum(s.laps for s in sessions))
        path = tmp_path / f"overview-{len(sessions)}.html"
        path.write_text(render_practice_day(dataclasses.replace(copy.deepcopy(overview), sessions=sessions,
                                                                stats=stats), track_name=name), encoding="utf-8")
        server.add(practice_day_url(TRACK, day), path)

    publish(overview.sessions[2:])
    practice("ingest", TRACK, site=server.site, date=day.isoformat(), MRE_CACHE_ENABLED=0)
    pg_conn.execute("update mre.practice_days set created_at = created_at - interval '30 hours'")
    publish(overview.sessions)
    practice("ingest", TRACK, site=server.site, date=day.isoformat(), MRE_CACHE_ENABLED=0)
    first, second = metrics(pg_conn, "practice-ingest")
    assert first["drift_sessions"] == 0
    assert second["drift_sessions"] == 2 and 30 <= second["drift_max_hours"] < 31
