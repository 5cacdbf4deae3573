"""A crawl of a generated site stores every multi-main page as the generator made it, and a
re-crawl changes nothing (FIELD-GUIDE §11.2; issue 15 items 3 and 6)."""

from __future__ import annotations

import pytest

from mre_crawler.normalize import driver_name_key
from mre_crawler.samplesite import expected_items, load_truth, read_manifest

pytestmark = pytest.mark.db

_TABLES = ("multi_main_results", "multi_main_rows", "multi_main_legs")


def _expected(site) -> list:
    return [x for _f, url, t in read_manifest(site) if t == "multi_main" for x in expected_items(site, url)]


def _stored(conn) -> tuple[set, set, set]:
    results = set((*r[:6], tuple(r[6]), *r[7:]) for r in conn.execute(
        "SELECT multi_main_id, event_id, track_slug, class_name, main_letter, main_format, leg_labels, "
        "tie_breaker_rule, completed_legs, scheduled_legs FROM mre.multi_main_results").fetchall())
    rows = set(conn.execute("SELECT multi_main_id, name_key, position, seeded_position, driver_name, points "
                            "FROM mre.multi_main_rows WHERE removed_at IS NULL").fetchall())
    legs = set(conn.execute("SELECT multi_main_id, name_key, leg_number, leg_label, place, leg_points, laps, "
                            "total_time::float8, flag, sat_out FROM mre.multi_main_legs WHERE removed_at IS NULL"
                            ).fetchall())
    return results, rows, legs


def _fingerprint(conn) -> dict:
    return {t: conn.execute(f"SELECT count(*), max(updated_at) FROM mre.{t}").fetchone() for t in _TABLES}


def test_a_track_crawl_stores_every_multi_main_page_and_a_recrawl_changes_nothing(small_site, serve, crawl, pg_conn, tmp_path):
    expected = _expected(small_site)
    assert expected, "the small site has triple A-mains, so multi-main pages"
    server = serve(small_site)
    home = str(tmp_path / "home")
    slug = load_truth(small_site)["tracks"][0]["slug"]
    first = crawl("track", {"track": slug}, MRE_SITE=server.site, MRE_HOME=home)
    assert first.failures == [] and first.quarantined == 0
    assert first.stat("mre/pages/parsed/multi_main") == len(expected)
    assert not first.stat("mre/skipped/link/multi_main")

    results, rows, legs = _stored(pg_conn)
    assert results == {(x.multi_main_id, x.event_id, x.track_slug, x.class_name, x.main_letter, x.main_format,
                        tuple(x.leg_labels), x.tie_breaker_rule, x.completed_legs, x.scheduled_legs) for x in expected}
    assert rows == {(x.multi_main_id, driver_name_key(r.driver_name), r.position, r.seeded_position, r.driver_name,
                     r.points) for x in expected for r in x.rows}
    assert legs == {(x.multi_main_id, driver_name_key(r.driver_name), g.leg_number, g.leg_label, g.place,
                     g.leg_points, g.laps, g.total_time, g.flag, g.sat_out)
                    for x in expected for r in x.rows for g in r.legs}
    before = _fingerprint(pg_conn)

    second = crawl("track", {"track": slug}, MRE_SITE=server.site, MRE_HOME=home)
    assert second.rows_written == 0 and second.stat("mre/pages/parsed/multi_main") in (None, 0)
    # Fetched and read again, the same pages upsert to the same rows.
    third = crawl("track", {"track": slug}, MRE_SITE=server.site, MRE_HOME=home,
                  MRE_CACHE_ENABLED=0, MRE_SKIP_UNCHANGED=0)
    assert third.stat("mre/pages/parsed/multi_main") == len(expected)
    assert third.rows_written == 0
    assert _fingerprint(pg_conn) == before and _stored(pg_conn) == (results, rows, legs)
