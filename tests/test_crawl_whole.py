"""Whole crawls over a generated site where a race page comes back cut short (issue 9): it is
retried, never stored, never cached, never used to mark rows removed, and listed as failed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mre_crawler.middlewares.cache import cached_sha256
from tests.fixtures_crawl import expected_counts, stored_counts
from tests.test_crawl_site import first_race, slug_of

pytestmark = pytest.mark.db

FAST_RETRIES = {"MRE_RETRY_BACKOFF_BASE": 0, "MRE_RETRY_TIMES": 2}


def race_rows(conn, race_id: int) -> list[tuple]:
    """Every stored row of one race (results and laps), removed ones included, with timestamps."""
    results = conn.execute(
        "SELECT driver_id, position, laps, total_time, updated_at, removed_at FROM mre.race_results"
        " WHERE race_id = %s ORDER BY driver_id", (race_id,)).fetchall()
    laps = conn.execute(
        "SELECT driver_id, lap_number, lap_time, updated_at, removed_at FROM mre.laps"
        " WHERE race_id = %s ORDER BY driver_id, lap_number", (race_id,)).fetchall()
    return results + laps


def cut_inside_the_table(body: bytes) -> bytes:
    """The page as a server that dropped the connection inside the results table sends it: the
    first bytes, up to the third result row, and nothing after."""
    table = body.rfind(b"race_result")
    tbody = body.index(b"<tbody", table)
    third_row = body.index(b"<tr", body.index(b"<tr", body.index(b"<tr", tbody) + 1) + 1)
    return body[: third_row + 40]


def cached(home: Path, url: str) -> bool:
    path = home / "httpcache" / "pages.sqlite"
    if not path.exists():
        return False
    db = sqlite3.connect(path)
    try:
        return cached_sha256(db, url) is not None
    finally:
        db.close()


@pytest.mark.parametrize(
    ("closed", "reason", "attempts"),
    [
        # Cut in transit: retried (1 try + 2 retries), then quarantined.
        (False, "not whole: the body ends before </html>", 3),
        # The same cut with the page's closing tags after it (a proxy that "repaired" it): the
        # body looks whole, the results table does not; not retried, quarantined at once.
        (True, "not whole: results row 3 has 2 cells, the header has 13", 1),
    ],
    ids=["cut_body", "cut_table"],
)
def test_a_race_page_cut_after_a_good_crawl_is_quarantined_and_its_stored_rows_stay(
        site_copy, serve, crawl, pg_conn, tmp_path, closed, reason, attempts):
    server = serve(site_copy)
    race_file, race_url, race_id, _ = first_race(site_copy)
    good = crawl("track", {"track": slug_of(site_copy)}, MRE_SITE=server.site, MRE_HOME=str(tmp_path / "a"))
    assert good.failures == []
    before, counts = race_rows(pg_conn, race_id), stored_counts(pg_conn)
    assert before and all(row[-1] is None for row in before)

    cut = cut_inside_the_table(race_file.read_bytes())
    race_file.write_bytes(cut + b"</td></tr></tbody></table></div></div></body></html>\n" if closed else cut)
    second = crawl("track", {"track": slug_of(site_copy)}, MRE_SITE=server.site, MRE_HOME=str(tmp_path / "b"), **FAST_RETRIES)

    assert second.failures == [(race_url, f"quarantined: {reason}")]
    assert len(server.requests_for(race_url)) == 1 + attempts  # the good crawl, then this one's
    assert second.stat("mre/whole/cut_bodies") == (0 if closed else attempts)
    assert second.stat("mre/pages/incomplete") == 1
    assert race_rows(pg_conn, race_id) == before  # nothing marked removed, nothing rewritten
    assert stored_counts(pg_conn) == counts
    assert not cached(tmp_path / "b", race_url)
    assert pg_conn.execute("SELECT count(*) FROM mre.quarantine WHERE url = %s AND resolved_at IS NULL",
                           (race_url,)).fetchone()[0] == 1


def test_a_cut_page_on_a_fresh_database_is_not_stored_nor_cached_and_the_good_page_later_is(site_copy, serve, crawl, pg_conn, tmp_path):
    server = serve(site_copy)
    race_file, race_url, race_id, _ = first_race(site_copy)
    good = race_file.read_bytes()
    race_file.write_bytes(good[: int(len(good) * 0.85)])
    home = tmp_path / "home"

    first = crawl("track", {"track": slug_of(site_copy)}, MRE_SITE=server.site, MRE_HOME=str(home), **FAST_RETRIES)
    assert [u for u, _ in first.failures] == [race_url]
    assert race_rows(pg_conn, race_id) == []
    assert not cached(home, race_url)

    # LiveRC serves the whole page again: the next crawl (same cache) fetches it and stores it all.
    race_file.write_bytes(good)
    second = crawl("track", {"track": slug_of(site_copy)}, MRE_SITE=server.site, MRE_HOME=str(home), **FAST_RETRIES)
    assert second.failures == []
    assert cached(home, race_url)
    assert stored_counts(pg_conn) == expected_counts(site_copy)


def test_with_retries_off_a_cut_page_is_quarantined_on_the_first_answer(site_copy, serve, crawl, pg_conn, tmp_path):
    server = serve(site_copy)
    race_file, race_url, race_id, _ = first_race(site_copy)
    race_file.write_bytes(cut_inside_the_table(race_file.read_bytes()))
    result = crawl("track", {"track": slug_of(site_copy)}, MRE_SITE=server.site, MRE_CUT_BODY_RETRY_ENABLED=0)
    assert [u for u, _ in result.failures] == [race_url]
    assert len(server.requests_for(race_url)) == 1
    assert race_rows(pg_conn, race_id) == []
