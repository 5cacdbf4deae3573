"""Pages that need a browser (issue 11): rendered in Debian's chromium, parsed like static pages.

A generated site is served twice: as written, and with two race pages and one practice day whose
rows and lap data a script builds at load time (:mod:`mre_crawler.samplesite.scripted`). Crawled
with chromium, the scripted site gives the database the static site gives. With no chromium
(``MRE_CHROMIUM=/nonexistent``) those three pages are listed as failed with the install hint and
everything else is stored.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from mre_crawler.crawl import format_summary
from mre_crawler.parsers import parse_page
from mre_crawler.render import chromium_path, launch_options, render_reason
from mre_crawler.samplesite import generate, read_manifest
from mre_crawler.samplesite.scripted import script_practice_day, script_race
from tests.fixtures_db import truncate_mre
from tests.fixtures_faults import db_snapshot, diff_snapshots, explain, unexcused

SCRIPTED_RACES = 2


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    """(static site, scripted copy, LiveRC URLs of the scripted pages)."""
    static = generate(tmp_path_factory.mktemp("render") / "static", tracks=1, events=1, seed=23,
                      practice_days=2, practice_months=1)
    scripted = Path(shutil.copytree(static, static.parent / "scripted"))
    changed: list[str] = []
    manifest = read_manifest(scripted)
    races = [(f, u) for f, u, t in manifest if t == "race_result"][:SCRIPTED_RACES]
    days = [(f, u) for f, u, t in manifest if t == "practice_day_overview"][:1]
    for (file, url), change in [*((r, script_race) for r in races), *((d, script_practice_day) for d in days)]:
        path = scripted / file
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
        changed.append(url)
    assert len(changed) == SCRIPTED_RACES + 1
    return static, scripted, changed


@pytest.fixture(scope="module")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip("no chromium (/usr/bin/chromium or on PATH): apt-get install chromium")
    options = launch_options(path)
    try:
        subprocess.run([path, "--headless", *options["args"], "--dump-dom", "about:blank"],
                       capture_output=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"chromium at {path} cannot run here: {exc}")
    return path


def _track(site: Path) -> str:
    return next(u for _, u, t in read_manifest(site) if t == "track_dashboard").split("//")[1].split(".")[0]


def _crawl_all(crawl, serve, site: Path, home: str | None = None, **settings):
    server = serve(site)
    track = _track(site)
    # The practice day the scripted copy builds by script (the first one), and the day after it.
    day = next(u for _, u, t in read_manifest(site) if t == "practice_day_overview").rsplit("=", 1)[1]
    # A fresh HTTP cache per site: the static and the scripted pages have the same LiveRC URLs.
    home = home or tempfile.mkdtemp(prefix=f"home-{site.name}-", dir=site.parent)
    common = {"MRE_SITE": server.site, "MRE_ROBOTSTXT_ENABLED": "0", "MRE_HOME": home, **settings}
    events = crawl("track", {"track": track}, **common)
    practice = crawl("practice", {"track": track, "date": day}, **common)
    server.stop()
    return events, practice


def test_the_static_page_says_when_it_needs_a_browser(sites):
    static, scripted, changed = sites
    for site, expected in ((static, {}), (scripted, {"race_result": "no lap data",
                                                         "practice_day_overview": "empty session list"})):
        for file, url, page_type in read_manifest(site):
            response = HtmlResponse(url, body=(site / file).read_bytes())
            want = expected.get(page_type) if url in changed else None
            assert render_reason(response, page_type) == want, (site.name, url)


def test_a_bot_check_page_is_recognised_and_a_login_captcha_is_not():
    challenge = (b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
                 b"<div id='challenge-running'></div></body></html>")
    assert render_reason(HtmlResponse("https://x.liverc.com/results/?p=view_race_result&id=1", status=403,
                                      body=challenge), "race_result") == "bot check"
    login = (b"<html><head><title>Results :: LiveRC</title><script src='//www.google.com/recaptcha/api.js'>"
             b"</script></head><body><table class='race_result'></table>racerLaps[1]</body></html>")
    assert render_reason(HtmlResponse("https://x.liverc.com/", body=login), "race_result") is None


def test_pages_built_by_javascript_store_the_rows_the_static_pages_store(sites, chromium, crawl, serve, pg_conn,
                                                                          pg_url, monkeypatch, capsys):
    static, scripted, changed = sites
    events, practice = _crawl_all(crawl, serve, static)
    assert not events.failures and not practice.failures
    assert events.rendered == practice.rendered == 0
    baseline = db_snapshot(pg_conn)

    truncate_mre(pg_conn)
    events, practice = _crawl_all(crawl, serve, scripted)
    assert not events.failures and not practice.failures, (events.failures, practice.failures)
    assert events.rendered == SCRIPTED_RACES
    assert events.stats["mre/render/reason/no lap data"] == SCRIPTED_RACES
    assert practice.rendered == 1
    assert "rendered      2 in chromium (no lap data 2)" in format_summary(events)
    differences = diff_snapshots(baseline, db_snapshot(pg_conn))
    assert not differences, explain(differences)
    # fetched_pages.rendered (0160): exactly the pages that needed a browser, under their LiveRC URLs.
    rendered = {u for (u,) in pg_conn.execute("SELECT url FROM mre.fetched_pages WHERE rendered").fetchall()}
    assert rendered == set(changed)
    static_count = pg_conn.execute("SELECT count(*) FROM mre.fetched_pages WHERE NOT rendered").fetchone()[0]
    assert static_count > 0
    from mre_crawler.cli import main

    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    capsys.readouterr()
    assert main(["db", "status"]) == 0
    assert f"rendered in chromium: {len(changed)} page(s)" in capsys.readouterr().out


def test_the_rendered_page_is_what_the_cache_keeps_so_a_recrawl_renders_nothing(sites, chromium, crawl, serve, pg_conn):
    _, scripted, changed = sites
    home = tempfile.mkdtemp(prefix="home-again-", dir=scripted.parent)
    first, _ = _crawl_all(crawl, serve, scripted, home=home)
    assert first.rendered == SCRIPTED_RACES
    again, practice = _crawl_all(crawl, serve, scripted, home=home)
    assert again.rendered == 0 and not again.failures
    # The stored body is the rendered one: the re-crawl finds the race pages unchanged.
    assert again.stat("mre/pages/unchanged/race_result") == first.stat("mre/pages/parsed/race_result")


def test_without_chromium_the_pages_are_listed_with_the_install_hint_and_the_rest_is_stored(
        sites, crawl, serve, pg_conn, caplog):
    static, scripted, changed = sites
    _crawl_all(crawl, serve, static)
    baseline = db_snapshot(pg_conn)
    truncate_mre(pg_conn)

    with caplog.at_level(logging.WARNING, logger="mre_crawler.render"):
        events, practice = _crawl_all(crawl, serve, scripted, MRE_CHROMIUM="/nonexistent")
    failed = dict(events.failures + practice.failures)
    assert sorted(failed) == sorted(changed)
    assert all("needs a browser" in reason and "apt-get install chromium" in reason for reason in failed.values())
    lines = [r.getMessage() for r in caplog.records if r.name == "mre_crawler.render"]
    for url in changed:
        [line] = [m for m in lines if m.startswith(url)]
        assert "MRE_CHROMIUM=/nonexistent" in line and "apt-get install chromium" in line
    assert events.rendered == 0 and events.stat("mre/render/no_browser") == SCRIPTED_RACES
    # Everything else is stored as from the static site; what differs belongs to the three listed pages.
    differences = diff_snapshots(baseline, db_snapshot(pg_conn))
    assert differences
    assert not unexcused(differences, failed), explain(unexcused(differences, failed))


CHALLENGE = (b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
             b"<div id='challenge-running'>Checking your browser</div>"
             b"<script>setTimeout(function(){location.reload();}, 200);</script></body></html>\n")


def test_a_bot_check_is_passed_once_in_chromium_and_the_page_behind_it_is_stored(sites, chromium, crawl, serve, pg_conn):
    from mre_crawler.serve import ScriptedAnswer

    static, _, _ = sites
    track = _track(static)
    [(race_file, race_url)] = [(f, u) for f, u, t in read_manifest(static) if t == "race_result"][:1]
    server = serve(static)
    # The plain fetch and the browser's first load get the challenge (403); its script reloads the page.
    server.script(race_url, [ScriptedAnswer(403, {"Content-Type": "text/html"}, CHALLENGE)] * 2)
    result = crawl("track", {"track": track}, MRE_SITE=server.site, MRE_ROBOTSTXT_ENABLED="0",
                   MRE_HOME=tempfile.mkdtemp(prefix="home-bot-", dir=static.parent))
    assert not result.failures, result.failures
    assert result.stats["mre/render/reason/bot check"] == 1
    race_id = int(race_url.rsplit("=", 1)[1])
    stored = pg_conn.execute("SELECT count(*) FROM mre.race_results WHERE race_id = %s", (race_id,)).fetchone()[0]
    expected = parse_page((static / race_file).read_bytes(), race_url, "race_result").item.results
    assert stored == len(expected) > 0


def test_a_render_is_one_more_request_to_the_track_counted_against_its_budget(sites, chromium, crawl, serve, pg_conn):
    _, scripted, changed = sites
    server = serve(scripted)
    result = crawl("track", {"track": _track(scripted)}, MRE_SITE=server.site, MRE_ROBOTSTXT_ENABLED="0",
                   MRE_POLITE="1", MRE_RATE_PER_MINUTE="6000", MRE_AUTOTHROTTLE_ENABLED="0",
                   MRE_HOME=tempfile.mkdtemp(prefix="home-polite-", dir=scripted.parent))
    assert not result.failures, result.failures
    assert result.rendered == SCRIPTED_RACES
    for url in changed[:SCRIPTED_RACES]:
        # The plain fetch and chromium's load; nothing else (its scripts are inline, the rest is blocked).
        assert len(server.requests_for(url)) == 2
    assert len(server.log) == result.fetched == result.budget_used


def test_a_request_asking_for_a_browser_renders_after_the_redis_queue(sites, chromium, crawl, serve, pg_conn, pg_url,
                                                                     redis_server, tmp_path):
    """``meta["playwright"]`` (and its page methods) survive scrapy-redis's pickle queue: a race
    request that asks for a browser, enqueued and claimed by ``mre worker``, is fetched once, in
    chromium, and stores the rows its static page stores."""
    from scrapy_playwright.page import PageMethod

    from mre_crawler.render import WAIT_FOR
    from mre_crawler.workers.enqueue import redis_for
    from mre_crawler.workers.queue import ClaimQueue
    from spiders.track import TrackSpider
    from tests.test_workers import finish, start_workers

    static, scripted, changed = sites
    _crawl_all(crawl, serve, static)
    baseline = db_snapshot(pg_conn)
    truncate_mre(pg_conn)
    # Everything but the scripted pages, stored in process (no browser: those three are listed).
    events, practice = _crawl_all(crawl, serve, scripted, MRE_CHROMIUM="/nonexistent")
    assert sorted(u for u, _ in events.failures + practice.failures) == sorted(changed)
    races = changed[:SCRIPTED_RACES]
    ids = {int(u.rsplit("=", 1)[1]): u for u in races}
    event_of = dict(pg_conn.execute("SELECT race_id, event_id FROM mre.races WHERE race_id = ANY(%s)",
                                    (list(ids),)).fetchall())
    assert sorted(event_of) == sorted(ids)  # the event page listed them; their rows are missing

    track = _track(scripted)
    spider = TrackSpider(track=track)
    queue = ClaimQueue(redis_for(redis_server.url), spider, "mre:queue")
    for race_id, url in ids.items():
        request = spider.page_request(url, spider.parse_race, "race_result", race_id=race_id,
                                      track_slug=track, event_id=event_of[race_id], event_finished=True)
        request.meta.update(playwright=True, mre_render="asked for", playwright_page_methods=[
            PageMethod("wait_for_selector", WAIT_FOR["race_result"], state="attached", timeout=15_000)])
        queue.push(request)
    assert len(queue) == SCRIPTED_RACES

    server = serve(scripted)
    [(code, out)] = finish(start_workers(1, server, redis_server.url, pg_url, tmp_path / "homes", per_track=2))
    assert code == 0 and "shared crawl idle: 0 failed pages" in out, out
    # One request each, chromium's: without the meta the worker would fetch it plainly first.
    assert {u: len(server.requests_for(u)) for u in races} == {u: 1 for u in races}
    rendered = {u for (u,) in pg_conn.execute("SELECT url FROM mre.fetched_pages WHERE rendered").fetchall()}
    assert rendered == set(races)
    # The race rows are now the static site's; what still differs is the practice day alone.
    differences = diff_snapshots(baseline, db_snapshot(pg_conn))
    left = {changed[-1]: "not rendered in this test"}
    assert not unexcused(differences, left), explain(unexcused(differences, left))
    assert redis_server.client().llen("mre:queue") == 0
