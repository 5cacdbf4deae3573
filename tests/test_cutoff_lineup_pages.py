"""A multi-main results page or a heat sheet whose body is cut off (the Content-Length matching the
cut body, so nothing at the HTTP level says so, or declaring the whole body and the connection closing
early) is caught by the completeness checks: nothing is stored from it, the crawl lists it as failed
or quarantined, and the rows a good crawl stored before stay as they were (issue 15 (d)).
Pages: the generated small site, served through the fault server (real HTTP through Scrapy, real PG)."""

from __future__ import annotations

import pytest

from mre_crawler.faultserver import FaultRule
from mre_crawler.samplesite import load_truth, read_manifest

pytestmark = pytest.mark.db

TABLES = {"multi_main": ("multi_main_results", "multi_main_rows", "multi_main_legs"),
          "heat_sheet": ("heat_sheets", "heat_sheet_races", "lineups")}
QUICK = {"MRE_RETRY_BACKOFF_BASE": "0.05", "MRE_RETRY_BACKOFF_MAX": "0.2", "MRE_CACHE_ENABLED": "0"}


def _rows(conn, page_type) -> dict[str, list]:
    return {t: conn.execute(f"SELECT * FROM mre.{t} ORDER BY 1, 2, 3").fetchall() for t in TABLES[page_type]}


def _race_results(conn) -> list:
    return conn.execute("SELECT race_id, driver_id, position, laps, updated_at FROM mre.race_results ORDER BY 1, 2").fetchall()


@pytest.mark.parametrize("action", ["cut", "short"])
@pytest.mark.parametrize("page_type", ["multi_main", "heat_sheet"])
def test_a_cut_off_page_stores_nothing_is_listed_and_leaves_good_rows_alone(
        small_site, fault_server, serve, crawl, pg_conn, tmp_path, page_type, action):
    slug = load_truth(small_site)["tracks"][0]["slug"]
    urls = {u for _f, u, t in read_manifest(small_site) if t == page_type and f"//{slug}." in u}
    assert urls, f"the small site has {page_type} pages"
    faulty = fault_server(small_site, [FaultRule(action, page_type=page_type, at=0.6)], seed=3)

    # an empty database: the cut pages give no row, every one is listed, the rest of the crawl stores
    first = crawl("track", {"track": slug}, MRE_SITE=faulty.site, MRE_HOME=str(tmp_path / "h1"), **QUICK)
    listed = {u for u, _ in first.failures} | {r[0] for r in pg_conn.execute(
        "SELECT url FROM mre.quarantine WHERE resolved_at IS NULL").fetchall()}
    assert urls <= listed, sorted(urls - listed)
    assert all(rows == [] for rows in _rows(pg_conn, page_type).values())
    assert _race_results(pg_conn), "the race pages were whole and stored"

    # a good crawl stores them; a second cut-off crawl leaves those rows (and the results) untouched
    good = crawl("track", {"track": slug}, MRE_SITE=serve(small_site).site, MRE_HOME=str(tmp_path / "h2"), **QUICK)
    assert good.failures == []
    stored, results = _rows(pg_conn, page_type), _race_results(pg_conn)
    assert all(stored.values())
    again = crawl("track", {"track": slug}, MRE_SITE=faulty.site, MRE_HOME=str(tmp_path / "h3"), **QUICK)
    listed = {u for u, _ in again.failures} | {r[0] for r in pg_conn.execute(
        "SELECT url FROM mre.quarantine WHERE resolved_at IS NULL").fetchall()}
    assert urls <= listed, sorted(urls - listed)
    assert _rows(pg_conn, page_type) == stored
    assert _race_results(pg_conn) == results
