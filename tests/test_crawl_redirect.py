"""Whole crawls where a race page answers with a redirect (issue 9): followed only to the same
LiveRC page; anything else is listed as failed under the requested URL, nothing is stored under
its id, and no request leaves the replay server."""

from __future__ import annotations

import pytest

from mre_crawler.samplesite import load_truth, read_manifest
from mre_crawler.serve import ScriptedAnswer
from tests.fixtures_crawl import expected_counts, stored_counts
from tests.fixtures_db import truncate_mre
from tests.test_crawl_site import slug_of

pytestmark = pytest.mark.db


def two_races(site) -> tuple[str, int, str, int]:
    """(race URL, race id, another race's URL, its id) of the site's first track."""
    races = [u for _f, u, t in read_manifest(site) if t == "race_result"]
    (a, b) = races[:2]
    return a, int(a.rsplit("=", 1)[1]), b, int(b.rsplit("=", 1)[1])


def race_rows(conn, race_id: int) -> list[tuple]:
    """What is stored for one race, without timestamps: results, then laps."""
    results = conn.execute(
        "SELECT driver_id, position, driver_name, laps, total_time, fastest_lap, status, removed_at"
        " FROM mre.race_results WHERE race_id = %s ORDER BY driver_id", (race_id,)).fetchall()
    laps = conn.execute(
        "SELECT driver_id, lap_number, lap_time, position, removed_at FROM mre.laps"
        " WHERE race_id = %s ORDER BY driver_id, lap_number", (race_id,)).fetchall()
    return results + laps


def only_the_site_was_asked(server, slug: str) -> bool:
    return all(r.path.startswith(f"/{slug}/") for r in server.log)


# Where the race page redirects to: (Location as the replay server sends it, the target it names).
# {site} is the server, {slug} the track, {other} another race of the same event, {rid} this race.
OFF_PAGE = [
    ("https://othertrack.liverc.com/results/?p=view_race_result&id={other}",
     "https://othertrack.liverc.com/results/?p=view_race_result&id={other}"),
    ("/{slug}/results/?p=view_race_result&id={other}",
     "https://{slug}.liverc.com/results/?p=view_race_result&id={other}"),
    ("{site}/{slug}/results/?p=view_race_result&id={other}",
     "https://{slug}.liverc.com/results/?p=view_race_result&id={other}"),
    ("/{slug}/results/?p=view_event&id={rid}",
     "https://{slug}.liverc.com/results/?p=view_event&id={rid}"),
    ("http://offsite.invalid/page", "http://offsite.invalid/page"),
]


@pytest.mark.parametrize(("location", "target"), OFF_PAGE,
                         ids=["other_track", "other_race_relative", "other_race_on_site", "other_page_type", "offsite"])
def test_a_redirect_to_another_page_is_not_followed_and_nothing_is_stored_under_the_requested_id(
        small_site, serve, crawl, pg_conn, location, target):
    server = serve(small_site)
    slug = slug_of(small_site)
    race_url, race_id, other_url, other_id = two_races(small_site)
    names = {"site": server.site, "slug": slug, "other": other_id, "rid": race_id}
    server.script(race_url, [ScriptedAnswer(302, {"Location": location.format(**names)})])

    result = crawl("track", {"track": slug}, MRE_SITE=server.site)

    assert result.failures == [(race_url, f"redirected to {target.format(**names)}")]
    assert race_rows(pg_conn, race_id) == []
    truth = load_truth(small_site)["races"]
    assert len([r for r in race_rows(pg_conn, other_id) if len(r) == 8]) == truth[str(other_id)]["rows"]
    counts = expected_counts(small_site)
    assert stored_counts(pg_conn)["race_results"] == counts["race_results"] - truth[str(race_id)]["rows"]
    # No request went anywhere but the replay server, and the other race was asked for once.
    assert only_the_site_was_asked(server, slug)
    assert len(server.requests_for(race_url)) == 1 and len(server.requests_for(other_url)) == 1
    assert result.stat("mre/redirect/refused") == 1 and result.stat("mre/offsite/refused") == 0
    assert result.stat("downloader/response_count") == len(server.log)


SAME_PAGE = [
    # http instead of https, query reordered (an absolute LiveRC URL)
    ("http://{slug}.liverc.com/results/?id={rid}&p=view_race_result", None),
    # no trailing slash after /results (site-relative); the server has the page there too
    ("/{slug}/results?p=view_race_result&id={rid}", "https://{slug}.liverc.com/results?p=view_race_result&id={rid}"),
]


@pytest.mark.parametrize(("location", "also_served_at"), SAME_PAGE, ids=["http_reordered", "no_trailing_slash"])
def test_a_redirect_to_the_same_page_is_followed_and_stores_what_a_direct_fetch_stores(
        small_site, serve, crawl, pg_conn, tmp_path, location, also_served_at):
    server = serve(small_site)
    slug = slug_of(small_site)
    race_url, race_id, _, _ = two_races(small_site)
    direct = crawl("track", {"track": slug}, MRE_SITE=server.site, MRE_HOME=str(tmp_path / "direct"))
    assert direct.failures == []
    stored_directly = race_rows(pg_conn, race_id)
    truncate_mre(pg_conn)

    names = {"slug": slug, "rid": race_id}
    if also_served_at:
        race_file = next(small_site / f for f, u, _ in read_manifest(small_site) if u == race_url)
        server.add(also_served_at.format(**names), race_file)
    server.script(race_url, [ScriptedAnswer(302, {"Location": location.format(**names)})])
    result = crawl("track", {"track": slug}, MRE_SITE=server.site, MRE_HOME=str(tmp_path / "redirected"))

    assert result.failures == [] and result.stat("mre/redirect/followed") == 1
    assert race_rows(pg_conn, race_id) == stored_directly
    assert stored_counts(pg_conn) == expected_counts(small_site)
    # Stored under the requested, canonical URL only.
    urls = [u for (u,) in pg_conn.execute("SELECT url FROM mre.fetched_pages WHERE url LIKE %s",
                                          (f"%id={race_id}%",)).fetchall()]
    assert urls == [race_url]
    assert only_the_site_was_asked(server, slug)


def test_a_meta_refresh_to_another_host_is_not_followed(site_copy, serve, crawl, pg_conn):
    # <meta http-equiv="refresh"> is a redirect too (Scrapy's MetaRefreshMiddleware follows it).
    slug = slug_of(site_copy)
    race_url, race_id, _, _ = two_races(site_copy)
    race_file = next(site_copy / f for f, u, _ in read_manifest(site_copy) if u == race_url)
    race_file.write_bytes(b'<html><head><meta http-equiv="refresh" content="0;url=http://offsite.invalid/page">'
                          b"<title>Moved</title></head><body></body></html>\n")
    server = serve(site_copy)

    result = crawl("track", {"track": slug}, MRE_SITE=server.site)

    assert result.failures == [(race_url, "redirected to http://offsite.invalid/page")]
    assert race_rows(pg_conn, race_id) == []
    assert only_the_site_was_asked(server, slug) and result.stat("mre/offsite/refused") == 0
