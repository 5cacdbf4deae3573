"""Crawls under fault: the final database equals a clean crawl's, or differs only by pages the crawl lists as failed.

Each scenario crawls the session's small generated site (1 track, 2 events) through a
:class:`~mre_crawler.faultserver.FaultServer` into the session database and compares the whole of
it with a clean crawl of the same site (``baseline``). A lost or wrong row is allowed only when the
crawl's own failure list names a page that owns it (or the page it is reached through); an extra
row never is. Every fault is seeded: a failure names its seed, and the same seed replays it.

Unmarked scenarios are the fast set; ``-m faults`` runs the longer ones.
"""

from __future__ import annotations

import re

import pytest

from mre_crawler.faultserver import FaultRule
from mre_crawler.samplesite import load_truth, read_manifest
from mre_crawler.urls import read_url
from tests.fixtures_faults import db_snapshot, diff_snapshots, explain, unexcused

pytestmark = pytest.mark.db

# Retries quick enough for tests: 0.05 s, 0.1 s, 0.2 s.
QUICK_RETRIES = {"MRE_RETRY_BACKOFF_BASE": "0.05", "MRE_RETRY_BACKOFF_MAX": "0.2"}


def slug_of(site) -> str:
    return load_truth(site)["tracks"][0]["slug"]


def failed_pages(result) -> list[str]:
    return [url for url, _reason in result.failures]


def crawl_track(crawl, site, server, **settings):
    return crawl("track", {"track": slug_of(site)}, MRE_SITE=server.site, **{**QUICK_RETRIES, **settings})


def exit_code(result) -> int:
    """What ``mre crawl`` exits with for this crawl (the documented contract)."""
    from mre_crawler.crawl import crawl_outcome

    return crawl_outcome(result)[0]


def differences(baseline, conn, result):
    """(every difference, the ones the crawl's failure list does not explain)."""
    diffs = diff_snapshots(baseline.snapshot, db_snapshot(conn))
    return diffs, unexcused(diffs, failed_pages(result))


def test_a_crawl_through_the_fault_server_without_faults_equals_the_baseline(small_site, fault_server, crawl, pg_conn, baseline):
    clean = baseline(small_site, "track", {"track": slug_of(small_site)})
    server = fault_server(small_site)
    result = crawl_track(crawl, small_site, server)
    assert result.failures == [] and exit_code(result) == 0
    diffs, _ = differences(clean, pg_conn, result)
    assert diffs == [], explain(diffs)
    assert server.foreign_requests() == []


def test_the_baseline_snapshot_holds_every_data_table_and_the_generators_truth_without_bookkeeping(small_site, baseline):
    from tests.fixtures_crawl import expected_counts
    from tests.fixtures_faults import OWNERS, VOLATILE_COLUMNS

    clean = baseline(small_site, "track", {"track": slug_of(small_site)})
    assert set(clean.snapshot) == set(OWNERS)
    expected = expected_counts(small_site)
    assert {t: len(clean.snapshot[t]) for t in expected} == expected
    for table, rows in clean.snapshot.items():
        for row in rows.values():
            assert not VOLATILE_COLUMNS & set(row), table
    assert all(row["present"] for row in clean.snapshot["races"].values())
    assert "present" not in next(iter(clean.snapshot["drivers"].values()))  # drivers never vanish


# -- (a) storms that end -----------------------------------------------------------------------------
def test_a_503_and_429_storm_with_retry_after_on_some_race_pages_ends_and_the_crawl_equals_the_baseline(
        small_site, fault_server, crawl, pg_conn, baseline):
    clean = baseline(small_site, "track", {"track": slug_of(small_site)})
    server = fault_server(small_site, [
        FaultRule("status", status=429, retry_after="1", page_type="race_result", share=0.05, first=1),
        FaultRule("status", status=503, retry_after="1", page_type="race_result", share=0.05, first=2),
    ], seed=1)
    result = crawl_track(crawl, small_site, server)

    stormed = {url: [e.status for e in server.requests_for(url)] for rule in (0, 1) for url in server.chosen(rule)}
    assert stormed and all(statuses in ([429, 200], [503, 503, 200], [429, 503, 503, 200]) for statuses in stormed.values()), stormed
    assert result.stat("mre/retry/retry_after/429") + result.stat("mre/retry/retry_after/503") == len(server.faults_applied())
    assert result.failures == [] and exit_code(result) == 0
    diffs, _ = differences(clean, pg_conn, result)
    assert diffs == [], explain(diffs)


@pytest.mark.faults
def test_a_storm_on_every_race_page_for_a_time_window_ends_and_the_crawl_equals_the_baseline(
        small_site, fault_server, crawl, pg_conn, baseline):
    clean = baseline(small_site, "track", {"track": slug_of(small_site)})
    server = fault_server(small_site, [FaultRule("status", status=503, retry_after="1", page_type="race_result",
                                                 for_seconds=1.0)])
    result = crawl_track(crawl, small_site, server)
    assert server.faults_applied("status")
    assert result.failures == []
    diffs, _ = differences(clean, pg_conn, result)
    assert diffs == [], explain(diffs)


# -- (b) server errors on a share of every page type ---------------------------------------------------
CRAWLED_TYPES = ("track_dashboard", "track_events", "event", "race_result", "entry_list", "qual_points")


@pytest.mark.parametrize("seed", [3, pytest.param(4, marks=pytest.mark.faults), pytest.param(5, marks=pytest.mark.faults)])
def test_5xx_on_a_share_of_pages_loses_only_pages_the_crawl_lists_as_failed(
        small_site, fault_server, crawl, pg_conn, baseline, seed):
    clean = baseline(small_site, "track", {"track": slug_of(small_site)})
    server = fault_server(small_site, [
        FaultRule("status", status=500, page_type=CRAWLED_TYPES, share=0.1),  # every attempt: the page is lost
        FaultRule("status", status=502, page_type=CRAWLED_TYPES, share=0.3, first=2),  # recovers on the 3rd try
    ], seed=seed)
    result = crawl_track(crawl, small_site, server)

    always_failing = {url for url in server.chosen(0) if server.requests_for(url)}
    assert set(failed_pages(result)) == always_failing, f"seed {seed}"
    # Partial results are results (0); 3 only when the 5xx share itself fails its health check.
    assert exit_code(result) == (3 if result.health_failed else 0), result.health_failed
    assert all(check.startswith("FAILED http_error_share") for check in result.health_failed), result.health_failed
    assert all(len(server.requests_for(url)) == 4 for url in always_failing)  # the first try and 3 retries
    diffs, wrong = differences(clean, pg_conn, result)
    assert wrong == [], f"seed {seed}:\n" + explain(wrong)
    # What a failed page leaves is missing, never different: a race listed on its event page but
    # whose own page failed has no length yet, not another one.
    contradicted = [d for d in diffs if d.kind == "wrong" and any(d.got[c] is not None for c in d.columns)]
    assert contradicted == [], f"seed {seed}:\n" + explain(contradicted)


# -- (c) bodies that are not the page -----------------------------------------------------------------
@pytest.mark.parametrize("action,status", [("garbage", None), ("empty", None), ("challenge", 200), ("challenge", 403)])
def test_race_pages_answered_with_something_else_are_listed_and_only_they_differ(
        small_site, fault_server, crawl, pg_conn, baseline, action, status):
    clean = baseline(small_site, "track", {"track": slug_of(small_site)})
    server = fault_server(small_site, [FaultRule(action, status=status, page_type="race_result", share=0.1)], seed=6)
    # A bot check is rendered in chromium (where installed) before it is listed; this one never lets
    # the page through, so the render's wait for the page's data is shortened from 15 s.
    result = crawl_track(crawl, small_site, server, MRE_RENDER_WAIT="2")

    broken = set(server.chosen(0))
    assert set(failed_pages(result)) == broken
    assert exit_code(result) in (0, 3)  # listed; 3 when their share fails a health check, never 1
    diffs, wrong = differences(clean, pg_conn, result)
    assert wrong == [], explain(wrong)
    assert {page for d in diffs for page in d.pages if "view_race_result" in page} == broken
    if status != 403:  # a 200 that is not the page is kept for a later look; an HTTP error is not a page
        quarantined = {r[0] for r in pg_conn.execute("SELECT url FROM mre.quarantine WHERE resolved_at IS NULL")}
        assert quarantined == broken


# -- (d) a page slower than the download timeout ------------------------------------------------------
def test_a_page_slower_than_the_download_timeout_is_listed_as_failed_and_a_slow_first_try_is_retried(
        small_site, fault_server, crawl, pg_conn, baseline):
    clean = baseline(small_site, "track", {"track": slug_of(small_site)})
    server = fault_server(small_site, [
        FaultRule("slow", seconds=2.5, page_type="race_result", share=0.03),  # every try
        FaultRule("slow", seconds=2.5, page_type="race_result", share=0.03, first=1),  # the first try only
    ], seed=2)
    assert not set(server.chosen(0)) & set(server.chosen(1))
    result = crawl_track(crawl, small_site, server, DOWNLOAD_TIMEOUT=1)

    assert set(failed_pages(result)) == set(server.chosen(0))
    assert exit_code(result) in (0, 3)
    assert all(reason == "timed out after 1 s" for _url, reason in result.failures), result.failures
    diffs, wrong = differences(clean, pg_conn, result)
    assert wrong == [], explain(wrong)
    assert {page for d in diffs for page in d.pages if "view_race_result" in page} == set(server.chosen(0))


# -- connections that break: a body shorter than its Content-Length, no answer at all --------------------
@pytest.mark.parametrize("action", ["short", pytest.param("drop", marks=pytest.mark.faults)])
def test_broken_connections_are_retried_and_a_page_broken_every_time_is_listed(
        small_site, fault_server, crawl, pg_conn, baseline, action):
    clean = baseline(small_site, "track", {"track": slug_of(small_site)})
    server = fault_server(small_site, [
        FaultRule(action, at="random", page_type=("race_result", "entry_list", "qual_points"), share=0.05),
        FaultRule(action, at="random", page_type=("race_result", "event"), share=0.2, first=1),
    ], seed=13)
    result = crawl_track(crawl, small_site, server)

    assert set(failed_pages(result)) == set(server.chosen(0))
    assert exit_code(result) in (0, 3)
    # The first try and 3 retries; Twisted's client also re-sends once itself when a kept-alive
    # connection closes without an answer, so a dropped page can be asked up to 8 times.
    assert all(4 <= len(server.requests_for(url)) <= (8 if action == "drop" else 4) for url in server.chosen(0))
    recovered = set(server.chosen(1)) - set(server.chosen(0))
    assert recovered and all([e.fault is not None for e in server.requests_for(url)] == [True, False] for url in recovered)
    diffs, wrong = differences(clean, pg_conn, result)
    assert wrong == [], explain(wrong)
    assert {page for d in diffs for page in d.pages} <= set(server.chosen(0)) | {
        page for d in diffs if d.table == "races" for page in d.pages}  # a race row's other owner: its event page


# -- (e) hostile text is stored verbatim --------------------------------------------------------------
HOSTILE_NAME = "<script>alert(\"x\")</script> O'BRIEN \"DOC\" ZOË ØSTERGÅRD 山田 😀 ROBERT'); DROP TABLE mre.races;--"


def test_a_driver_name_with_markup_quotes_unicode_and_sql_is_stored_verbatim(
        small_site, site_copy, fault_server, crawl, pg_conn, baseline):
    from mre_crawler.samplesite.render import h, js

    clean = baseline(small_site, "track", {"track": slug_of(small_site)})
    races = [(site_copy / f) for f, _u, t in read_manifest(site_copy) if t == "race_result"]
    name = re.search(r'<span class="driver_name">([^<]+)</span>', races[0].read_text())[1]
    plain = name.replace("&amp;", "&")
    # In the lap script "</" is written "<\\/": a bare "</script>" would end the script in a browser too.
    in_script = js(HOSTILE_NAME).replace("</", "<\\/")
    changed = 0
    for page in races:
        html = page.read_text()
        if f">{name}<" in html:
            page.write_text(html.replace(f">{name}<", f">{h(HOSTILE_NAME)}<").replace(f"'{js(plain)}'", f"'{in_script}'"))
            changed += 1
    server = fault_server(site_copy)
    result = crawl_track(crawl, site_copy, server)

    assert result.failures == [] and result.quarantined == 0 and exit_code(result) == 0
    stored = pg_conn.execute("SELECT DISTINCT driver_id, driver_name FROM mre.race_results WHERE driver_name <> %s "
                             "AND driver_id IN (SELECT driver_id FROM mre.race_results WHERE driver_name = %s)",
                             (HOSTILE_NAME, HOSTILE_NAME)).fetchall()
    assert stored == []  # every race of that driver shows the new name, exactly
    (driver_id, races_with_name), = pg_conn.execute(
        "SELECT driver_id, count(*) FROM mre.race_results WHERE driver_name = %s GROUP BY driver_id", (HOSTILE_NAME,)).fetchall()
    assert races_with_name == changed
    assert pg_conn.execute("SELECT count(*) FROM mre.races").fetchone()[0] == len(clean.snapshot["races"])
    # Everything else is the baseline: only that driver's name columns changed.
    diffs = diff_snapshots(clean.snapshot, db_snapshot(pg_conn))
    assert {(d.kind, d.table) for d in diffs} <= {("wrong", "race_results"), ("wrong", "drivers")}, explain(diffs)
    assert all(d.key[-1] == driver_id if d.table == "race_results" else d.key == (driver_id,) for d in diffs), explain(diffs)
    assert {c for d in diffs for c in d.columns} <= {"driver_name", "display_name", "normalized_name", "printed_name"}


# -- scenarios another branch is fixing -----------------------------------------------------------------




@pytest.mark.parametrize("page_type,at", [
    pytest.param("race_result", "results"),
    ("race_result", "laps"),
    pytest.param("event", 0.6, marks=pytest.mark.faults),
    pytest.param("entry_list", 0.5, marks=pytest.mark.faults),
    pytest.param("qual_points", 0.5, marks=pytest.mark.faults),
])
def test_a_page_cut_after_a_good_crawl_marks_no_good_row_removed_and_changes_none(
        small_site, fault_server, crawl, pg_conn, baseline, page_type, at):
    clean = baseline(small_site, "track", {"track": slug_of(small_site)})
    server = fault_server(small_site, seed=8)
    assert crawl_track(crawl, small_site, server).failures == []
    server.add_rule(FaultRule("cut", at=at, page_type=page_type, share=0.1 if page_type == "race_result" else 1.0))
    cut = set(server.chosen(0))
    result = crawl_track(crawl, small_site, server, MRE_CACHE_ENABLED=0)  # fetch every page again

    assert server.faulted_urls("cut") == cut
    diffs, wrong = differences(clean, pg_conn, result)
    assert [d for d in diffs if d.kind == "lost"] == [], explain(d for d in diffs if d.kind == "lost")
    assert wrong == [], explain(wrong)
    assert cut <= set(failed_pages(result))
    assert exit_code(result) in (0, 3)


@pytest.mark.parametrize("at", [pytest.param("results"),
                                "laps"])
def test_a_race_page_cut_on_a_fresh_database_is_listed_and_a_later_crawl_of_the_good_page_repairs_it(
        small_site, fault_server, crawl, pg_conn, baseline, at):
    clean = baseline(small_site, "track", {"track": slug_of(small_site)})
    server = fault_server(small_site, [FaultRule("cut", at=at, page_type="race_result", share=0.1)], seed=8)
    cut = set(server.chosen(0))
    result = crawl_track(crawl, small_site, server)

    assert cut <= set(failed_pages(result))
    assert exit_code(result) in (0, 3)
    assert exit_code(result) in (0, 3)  # 3 when the quarantined share fails its health check
    _diffs, wrong = differences(clean, pg_conn, result)
    assert wrong == [], explain(wrong)
    server.clear_rules()
    repaired = crawl_track(crawl, small_site, server)  # a scheduled re-crawl: same cache, nothing forced
    assert repaired.failures == [] and exit_code(repaired) == 0
    diffs, _ = differences(clean, pg_conn, repaired)
    assert diffs == [], explain(diffs)


@pytest.fixture(scope="module")
def two_track_site(tmp_path_factory):
    from mre_crawler.samplesite import generate

    return generate(tmp_path_factory.mktemp("site") / "two-tracks", tracks=2, events=2, seed=12, practice_days=0)


@pytest.fixture
def offsite_host():
    """Another host on loopback (127.0.0.2) that records whatever reaches it: no DNS, no network."""
    from mre_crawler.faultserver import FaultServer

    server = FaultServer(host="127.0.0.2").start()
    yield server
    server.stop()




@pytest.mark.parametrize("to", ["other-track", "other-id", "other-type", "offsite"])
def test_a_race_page_redirected_to_another_page_is_listed_as_failed_and_nothing_is_stored_under_its_id(
        two_track_site, fault_server, offsite_host, crawl, pg_conn, baseline, to):
    slug = load_truth(two_track_site)["tracks"][0]["slug"]
    clean = baseline(two_track_site, "track", {"track": slug})
    target = f"http://127.0.0.2:{offsite_host.port}/x" if to == "offsite" else to
    server = fault_server(two_track_site, [FaultRule("redirect", to=target, status=301, page_type="race_result",
                                                     url=f"//{slug}\\.", share=0.1)], seed=9)
    redirected = set(server.chosen(0))
    result = crawl("track", {"track": slug}, MRE_SITE=server.site, **QUICK_RETRIES)

    reasons = dict(result.failures)
    unlisted = {url: reasons.get(url) for url in redirected if "redirected to" not in (reasons.get(url) or "")}
    assert unlisted == {}, result.failures
    assert exit_code(result) == 0  # listed, not an HTTP error storm
    ids = [read_url(url).id for url in redirected]
    stored = pg_conn.execute("SELECT count(*) FROM mre.race_results WHERE race_id = ANY(%s)", (ids,)).fetchone()[0]
    assert stored == 0
    _diffs, wrong = differences(clean, pg_conn, result)
    assert wrong == [], explain(wrong)
    assert offsite_host.log == [] and server.foreign_requests() == []




@pytest.mark.parametrize("to", [pytest.param("https"),
                                "slash"])
def test_a_same_page_redirect_is_followed_and_the_crawl_equals_the_baseline(
        small_site, fault_server, crawl, pg_conn, baseline, to):
    clean = baseline(small_site, "track", {"track": slug_of(small_site)})
    server = fault_server(small_site, [FaultRule("redirect", to=to, status=302, page_type="race_result", share=0.1,
                                                 first=1)], seed=10)
    result = crawl_track(crawl, small_site, server)

    assert server.faulted_urls("redirect") == set(server.chosen(0))
    assert result.failures == [] and exit_code(result) == 0
    diffs, _ = differences(clean, pg_conn, result)
    assert diffs == [], explain(diffs)
