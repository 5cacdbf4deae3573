"""Whole crawls of a generated sample site served on 127.0.0.1, into a real PostgreSQL.

The generator's truth says how many events, races, results, laps and entries the site holds;
a crawl must store exactly that, a second crawl must change nothing, and upstream changes (a
page edited, a race removed, a page broken) must change exactly what they touch.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mre_crawler.samplesite import load_truth, read_manifest
from tests.fixtures_crawl import expected_counts, stored_counts, table_fingerprint

pytestmark = pytest.mark.db


def slug_of(site: Path) -> str:
    return load_truth(site)["tracks"][0]["slug"]


def first_race(site: Path) -> tuple[Path, str, int, Path]:
    """(race page file, race URL, race id, the event page file listing it)."""
    manifest = read_manifest(site)
    race_file, race_url, _ = next(r for r in manifest if r[2] == "race_result")
    race_id = int(race_url.rsplit("=", 1)[1])
    event_id = load_truth(site)["races"][str(race_id)]["event_id"]
    event_file = next(f for f, u, t in manifest if t == "event" and u.endswith(f"id={event_id}"))
    return site / race_file, race_url, race_id, site / event_file


def test_a_track_crawl_stores_the_generators_truth_and_a_recrawl_changes_nothing(small_site, serve, crawl, pg_conn, tmp_path):
    server = serve(small_site)
    home = str(tmp_path / "home")
    first = crawl("track", {"track": slug_of(small_site)}, MRE_SITE=server.site, MRE_HOME=home)
    assert first.failures == [] and first.quarantined == 0
    assert stored_counts(pg_conn) == expected_counts(small_site)
    before = table_fingerprint(pg_conn)

    # Re-crawl within the cache lifetimes: every page comes from the cache, nothing is written.
    second = crawl("track", {"track": slug_of(small_site)}, MRE_SITE=server.site, MRE_HOME=home)
    assert second.rows_written == 0 and second.fetched == second.stat("robotstxt/request_count")
    assert second.cache_hits == first.fetched - first.stat("robotstxt/request_count")

    assert second.stat("mre/pages/unchanged/race_result") == expected_counts(small_site)["races"]
    assert second.stat("mre/pages/parsed/race_result") == 0  # an unchanged race page is not even parsed

    # Re-crawl fetching and re-reading everything: the same pages upsert to the same rows.
    third = crawl("track", {"track": slug_of(small_site)}, MRE_SITE=server.site, MRE_HOME=home,
                  MRE_CACHE_ENABLED=0, MRE_SKIP_UNCHANGED=0)
    assert third.cache_hits == 0 and third.pages_parsed == first.pages_parsed
    assert third.rows_written == 0
    assert table_fingerprint(pg_conn) == before


def test_a_changed_event_page_refetches_its_races_and_updates_exactly_the_changed_rows(site_copy, serve, crawl, pg_conn, tmp_path):
    server = serve(site_copy)
    home = str(tmp_path / "home")
    crawl("track", {"track": slug_of(site_copy)}, MRE_SITE=server.site, MRE_HOME=home)
    race_file, race_url, race_id, event_file = first_race(site_copy)
    # Upstream: the race was re-scored with another length, and its event page shows it finished later.
    race_html = race_file.read_text()
    length = re.search(r"Length: (\d+):00 Timed", race_html)
    race_file.write_text(race_html.replace(length[0], f"Length: {int(length[1]) + 1}:00 Timed"))
    event_html = event_file.read_text()
    row = re.search(rf'id={race_id}".*?</td>\s*<td>([^<]*at \d+):(\d\d)([ap]m)</td>', event_html, re.S)
    minute = (int(row[2]) + 1) % 60
    event_file.write_text(event_html[: row.start(2)] + f"{minute:02d}" + event_html[row.end(2):])

    # The event page expires (TTL 0); its change invalidates the cached race pages it links.
    t0 = pg_conn.execute("SELECT clock_timestamp()").fetchone()[0]
    again = crawl("track", {"track": slug_of(site_copy)}, MRE_SITE=server.site, MRE_HOME=home, MRE_CACHE_TTL_EVENT=0)
    assert again.stat("mre/cache/invalidated") >= 1
    assert len(server.requests_for(race_url)) == 2  # fetched again, not served from the cache
    # Exactly one row changed: that race (its completion time from the event page, its length
    # from the race page: two updates of the one row). No other table moved.
    changed = {table: [r[0] for r in pg_conn.execute(
        f"SELECT {key} FROM mre.{table} WHERE updated_at > %s", (t0,)).fetchall()]
        for table, key in (("races", "race_id"), ("race_results", "race_id"), ("laps", "race_id"),
                           ("events", "event_id"), ("entries", "event_id"), ("tracks", "slug"))}
    assert changed == {"races": [race_id], "race_results": [], "laps": [], "events": [], "entries": [], "tracks": []}
    assert {t for t, v in again.stats["mre/store/by_table"].items() if any(v)} == {"races"}
    length_seconds = pg_conn.execute("SELECT length_seconds FROM mre.races WHERE race_id = %s", (race_id,)).fetchone()[0]
    assert length_seconds == (int(length[1]) + 1) * 60


def test_a_race_gone_from_its_event_page_is_marked_removed_not_deleted(site_copy, serve, crawl, pg_conn, tmp_path):
    server = serve(site_copy)
    home = str(tmp_path / "home")
    crawl("track", {"track": slug_of(site_copy)}, MRE_SITE=server.site, MRE_HOME=home)
    _race_file, race_url, race_id, event_file = first_race(site_copy)
    html = event_file.read_text()
    event_file.write_text(re.sub(rf"<tr>\s*<td><a href=\"/results/\?p=view_race_result&id={race_id}\".*?</tr>", "", html, flags=re.S))
    server.remove(race_url)

    crawl("track", {"track": slug_of(site_copy)}, MRE_SITE=server.site, MRE_HOME=home, MRE_CACHE_TTL_EVENT=0)
    removed_at = pg_conn.execute("SELECT removed_at FROM mre.races WHERE race_id = %s", (race_id,)).fetchone()[0]
    assert removed_at is not None
    expected = expected_counts(site_copy)
    assert stored_counts(pg_conn)["races"] == expected["races"] - 1


def test_a_malformed_race_page_is_quarantined_and_the_rest_of_the_event_is_stored(site_copy, serve, crawl, pg_conn):
    race_file, race_url, race_id, _event_file = first_race(site_copy)
    # A layout change: the results table is gone (LiveRC renamed it).
    race_file.write_text(race_file.read_text().replace("race_result", "race_outcome"))
    server = serve(site_copy)
    result = crawl("track", {"track": slug_of(site_copy)}, MRE_SITE=server.site)

    assert result.quarantined == 1
    assert (race_url, ) == tuple(u for u, reason in result.failures if reason.startswith("quarantined"))
    reason, body, raw = pg_conn.execute(
        "SELECT reason, body, raw FROM mre.quarantine WHERE url = %s AND resolved_at IS NULL", (race_url,)
    ).fetchone()
    assert reason and bytes(body) == race_file.read_bytes()
    assert raw["meta"]["race_id"] == race_id  # kept so `mre quarantine retry` can re-parse it
    expected = expected_counts(site_copy)
    stored = stored_counts(pg_conn)
    assert stored["races"] == expected["races"]  # the event page lists it
    results_in_bad_race = load_truth(site_copy)["races"][str(race_id)]["rows"]
    assert stored["race_results"] == expected["race_results"] - results_in_bad_race
    assert not [f for f in result.health_failed if "quarantined_share" in f]  # 1 page of 41 is under 10%
