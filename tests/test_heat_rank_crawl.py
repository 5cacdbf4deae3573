"""A crawl of a generated site stores every heat sheet, round ranking and overall ranking as the
generator made them, line-ups match the race results by race id, and a re-crawl changes nothing
(FIELD-GUIDE §11.3-§11.5; issue 15 items 4-6)."""

from __future__ import annotations

import pytest

from mre_crawler.normalize import driver_name_key
from mre_crawler.samplesite import expected_items, load_truth, read_manifest

pytestmark = pytest.mark.db

_TABLES = ("heat_sheets", "heat_sheet_races", "lineups", "round_rankings", "round_ranking_rows", "overall_rankings",
           "overall_ranking_rows")
_TYPES = ("heat_sheet", "round_ranking", "overall_ranking")


def _expected(site, page_type) -> list:
    return [x for _f, url, t in read_manifest(site) if t == page_type for x in expected_items(site, url)]


def _stored(conn) -> dict:
    q = {
        "lineups": "SELECT s.heat_sheet_id, s.event_id, s.round_name, r.race_number, r.race_label, r.status, r.race_id,"
                   " l.grid_position, l.car_number, l.driver_name, l.transponder FROM mre.heat_sheets s"
                   " JOIN mre.heat_sheet_races r USING (heat_sheet_id) JOIN mre.lineups l USING (heat_sheet_id, race_number)"
                   " WHERE r.removed_at IS NULL AND l.removed_at IS NULL",
        "round": "SELECT k.ranking_id, k.mode, k.round_name, r.class_name, r.position, r.driver_name, r.laps,"
                 " r.total_time::float8, r.flag, r.top3_consecutive::float8, r.fastest_lap::float8, r.race_id"
                 " FROM mre.round_rankings k JOIN mre.round_ranking_rows r USING (ranking_id) WHERE r.removed_at IS NULL",
        "overall": "SELECT event_id, class_name, position, driver_name, main_place, points, laps, total_time::float8,"
                   " race_label, race_id FROM mre.overall_ranking_rows WHERE removed_at IS NULL",
    }
    return {k: set(conn.execute(v).fetchall()) for k, v in q.items()}


def _truth(site) -> dict:
    return {
        "lineups": {(s.heat_sheet_id, s.event_id, s.round_name, r.race_number, r.race_label, r.status, r.race_id,
                     e.grid_position, e.car_number, e.driver_name, e.transponder)
                    for s in _expected(site, "heat_sheet") for r in s.races for e in r.entries},
        "round": {(k.ranking_id, k.mode, k.round_name, r.class_name, r.position, r.driver_name, r.laps, r.total_time,
                   r.flag, r.top3_consecutive, r.fastest_lap, r.race_id)
                  for k in _expected(site, "round_ranking") for r in k.rows},
        "overall": {(o.event_id, r.class_name, r.position, r.driver_name, r.main_place, r.points, r.laps, r.total_time,
                     r.race_label, r.race_id) for o in _expected(site, "overall_ranking") for r in o.rows},
    }


def _fingerprint(conn) -> dict:
    return {t: conn.execute(f"SELECT count(*), max(updated_at) FROM mre.{t}").fetchone() for t in _TABLES}


def test_a_track_crawl_stores_every_heat_sheet_and_ranking_and_a_recrawl_changes_nothing(
        small_site, serve, crawl, pg_conn, tmp_path):
    counts = {t: len(_expected(small_site, t)) for t in _TYPES}
    assert all(counts.values()), counts
    server = serve(small_site)
    home = str(tmp_path / "home")
    slug = load_truth(small_site)["tracks"][0]["slug"]
    per_track = {t: len([1 for x in _expected(small_site, t) if x.track_slug == slug]) for t in _TYPES}
    first = crawl("track", {"track": slug}, MRE_SITE=server.site, MRE_HOME=home)
    assert first.failures == [] and first.quarantined == 0
    for t in _TYPES:
        assert first.stat(f"mre/pages/parsed/{t}") == per_track[t], t
        assert not first.stat(f"mre/skipped/link/{t}")

    stored = _stored(pg_conn)
    truth = {k: {row for row in v if _on_track(row, k, small_site, slug)} for k, v in _truth(small_site).items()}
    assert stored == truth

    # line-ups match race results by race id: every driver on a run race's grid has a result row there
    unmatched = pg_conn.execute(
        "SELECT r.race_id, l.driver_name FROM mre.heat_sheet_races r JOIN mre.lineups l USING (heat_sheet_id, race_number)"
        " WHERE r.race_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM mre.race_results x JOIN mre.drivers d USING (driver_id)"
        "   WHERE x.race_id = r.race_id AND upper(x.driver_name) = upper(l.driver_name))").fetchall()
    assert unmatched == []
    before = _fingerprint(pg_conn)

    second = crawl("track", {"track": slug}, MRE_SITE=server.site, MRE_HOME=home)
    assert second.rows_written == 0
    third = crawl("track", {"track": slug}, MRE_SITE=server.site, MRE_HOME=home,
                  MRE_CACHE_ENABLED=0, MRE_SKIP_UNCHANGED=0)
    for t in _TYPES:
        assert third.stat(f"mre/pages/parsed/{t}") == per_track[t], t
    assert third.rows_written == 0
    assert _fingerprint(pg_conn) == before and _stored(pg_conn) == stored


_EVENT_TRACK: dict = {}


def _on_track(row, kind, site, slug) -> bool:
    if not _EVENT_TRACK:
        for e in load_truth(site)["events"].values():
            _EVENT_TRACK[e["event_id"]] = e["track_slug"]
        for t in _TYPES:
            for x in _expected(site, t):
                _EVENT_TRACK[("id", t, getattr(x, {"heat_sheet": "heat_sheet_id", "round_ranking": "ranking_id",
                                                    "overall_ranking": "event_id"}[t]))] = x.track_slug
    key = {"lineups": ("id", "heat_sheet", row[0]), "round": ("id", "round_ranking", row[0]),
           "overall": ("id", "overall_ranking", row[0])}[kind]
    return _EVENT_TRACK[key] == slug


def test_pages_that_do_not_fit_are_quarantined_and_an_edited_sheet_leaves_results_alone(
        site_copy, serve, crawl, pg_conn, tmp_path):
    import re

    slug = load_truth(site_copy)["tracks"][0]["slug"]
    files = {t: [(site_copy / f, u) for f, u, tt in read_manifest(site_copy) if tt == t and f"//{slug}." in u]
             for t in _TYPES}
    server = serve(site_copy)
    home = str(tmp_path / "home")
    first = crawl("track", {"track": slug}, MRE_SITE=server.site, MRE_HOME=home)
    assert first.quarantined == 0
    stored, results = _stored(pg_conn), pg_conn.execute(
        "SELECT race_id, driver_id, position, laps, updated_at FROM mre.race_results ORDER BY 1, 2").fetchall()

    # LiveRC "changes" a round ranking's header; a heat sheet comes back with a grid slot missing
    (rk_file, rk_url), (hs_file, hs_url) = files["round_ranking"][0], files["heat_sheet"][0]
    rk_file.write_text(rk_file.read_text().replace("<th>Heat</th>", "<th>Round</th>"))
    html = hs_file.read_text()
    rows = re.findall(r"<tr>\n<td>2</td>\n.*?</tr>\n", html, flags=re.S)
    hs_file.write_text(html.replace(rows[0], "", 1))
    # and the Main Events sheet is rebuilt after the mains ran: its first main's grid is reversed
    mains_file, mains_url = next((f, u) for f, u in files["heat_sheet"] if "Race Lineups - Main Events" in f.read_text())
    html = mains_file.read_text()
    block = re.search(r"(</tr>\n<tr class=\"heat_sheet_header\">.*?</tr>\n)((?:<tr>\n<td>\d+</td>.*?</tr>\n)+)",
                      html, flags=re.S)
    names = re.findall(r'</span> ([^<]+)</td>', block[2])
    edited = block[2]
    for a, b in zip(names, reversed(names)):
        edited = edited.replace(f"</span> {a}</td>", f"</span> @@{b}</td>", 1)
    mains_file.write_text(html.replace(block[2], edited.replace("@@", ""), 1))

    second = crawl("track", {"track": slug}, MRE_SITE=server.site, MRE_HOME=home, MRE_CACHE_ENABLED=0)
    reasons = dict(pg_conn.execute("SELECT url, reason FROM mre.quarantine WHERE resolved_at IS NULL").fetchall())
    assert set(reasons) == {rk_url, hs_url}, reasons
    assert "no ranking table" in reasons[rk_url]
    assert "not whole" in reasons[hs_url] and "1.." in reasons[hs_url]
    assert second.quarantined == 2
    now = _stored(pg_conn)
    # the quarantined pages' rows stay as they were; only the rebuilt sheet's line-up changed
    assert now["round"] == stored["round"] and now["overall"] == stored["overall"]
    changed = {(r[0], r[3]) for r in now["lineups"] ^ stored["lineups"]}
    assert changed and {r[0] for r in now["lineups"] ^ stored["lineups"]} == {int(mains_url.rsplit("=", 1)[1])}
    # and the race results the mains' pages gave are untouched
    assert pg_conn.execute("SELECT race_id, driver_id, position, laps, updated_at FROM mre.race_results"
                           " ORDER BY 1, 2").fetchall() == results
