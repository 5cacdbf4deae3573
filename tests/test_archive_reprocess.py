"""The raw page archive and ``mre reprocess``: every fetched body kept once; re-parse with no network.

A generated sample site is crawled from a local server into a real PostgreSQL; the archive's
files are read back and compared with the pages the server holds. The "parser change" is what
an older parser version leaves behind: stored rows without a field it did not read (the column
is NULL) and ``stored_pages.parser_version`` of that older version. ``mre reprocess`` must then
fill the field for every race from the archived bodies, with the site's server stopped.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import zstandard

from mre_crawler.archive import PageArchive
from mre_crawler.cli import main
from mre_crawler.samplesite import load_truth, read_manifest

pytestmark = pytest.mark.db


def slug_of(site: Path) -> str:
    return load_truth(site)["tracks"][0]["slug"]


def archive_rows(conn) -> list[tuple]:
    return conn.execute("SELECT url, body_sha256, page_type, track_slug, status FROM mre.page_archive ORDER BY url").fetchall()


def body_files(root: Path) -> set[str]:
    return {p.name for p in root.rglob("*.zst")}


@pytest.fixture
def env(pg_url, tmp_path, monkeypatch):
    """The CLI's environment: the test database and this test's MRE_HOME (so its archive)."""
    home = tmp_path / "home"
    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    monkeypatch.setenv("MRE_HOME", str(home))
    for name in ("MRE_ARCHIVE_DIR", "MRE_ARCHIVE_ENABLED"):
        monkeypatch.delenv(name, raising=False)
    return home


def test_a_crawl_archives_every_body_once_and_a_recrawl_adds_none(small_site, serve, crawl, pg_conn, env):
    server = serve(small_site)
    first = crawl("track", {"track": slug_of(small_site)}, MRE_SITE=server.site, MRE_HOME=str(env))
    assert first.failures == []
    archive = PageArchive(env / "archive")
    rows = archive_rows(pg_conn)
    # One index row per page of the site a track crawl reads (all but the catalogue), its file
    # holding exactly the page the server sent.
    pages = {url: small_site / f for f, url, t in read_manifest(small_site) if t != "track_catalogue"}
    assert {r[0] for r in rows} == set(pages)
    for url, sha, page_type, track, status in rows:
        body = archive.get(sha)
        assert body == pages[url].read_bytes() and hashlib.sha256(body).hexdigest() == sha
        assert status == 200 and page_type is not None
        assert track == slug_of(small_site)
    assert body_files(archive.root) == {f"{sha}.zst" for sha in {r[1] for r in rows}}
    files_before = {p: p.stat().st_size for p in archive.root.rglob("*.zst")}

    # Fetched again (no HTTP cache, bodies re-read): not one row or file more.
    again = crawl("track", {"track": slug_of(small_site)}, MRE_SITE=server.site, MRE_HOME=str(env),
                  MRE_CACHE_ENABLED=0, MRE_SKIP_UNCHANGED=0)
    assert again.cache_hits == 0 and again.pages_parsed == first.pages_parsed
    assert archive_rows(pg_conn) == rows
    assert {p: p.stat().st_size for p in archive.root.rglob("*.zst")} == files_before

    # Clearing the HTTP cache loses nothing: the bodies are in the archive.
    import shutil

    shutil.rmtree(env / "httpcache")
    for url, sha, *_ in rows:
        assert archive.get(sha) == pages[url].read_bytes()
    # Compressed: the archive is much smaller than the pages it holds.
    raw = sum(p.stat().st_size for p in pages.values())
    assert sum(files_before.values()) < raw / 3


def test_reprocess_fills_a_field_an_older_parser_did_not_read_with_no_network_then_writes_nothing(
        small_site, serve, crawl, pg_conn, env, capsys):
    server = serve(small_site)
    crawl("track", {"track": slug_of(small_site)}, MRE_SITE=server.site, MRE_HOME=str(env))
    requests = len(server.log)
    server.stop()  # no network from here on: nothing is listening
    truth = load_truth(small_site)["races"]
    results_before = dict(pg_conn.execute("SELECT race_id || ':' || driver_id, laps FROM mre.race_results").fetchall())
    fetches_before = pg_conn.execute("SELECT sum(fetch_count) FROM mre.fetched_pages").fetchone()[0]

    # What parser version 0 of race pages stored: no race length, no laps count per result.
    pg_conn.execute("UPDATE mre.races SET length_seconds = NULL")
    pg_conn.execute("UPDATE mre.race_results SET laps = NULL")
    pg_conn.execute("UPDATE mre.stored_pages SET parser_version = 0 WHERE page_type = 'race_result'")

    assert main(["reprocess", "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    races = dict(pg_conn.execute("SELECT race_id, length_seconds FROM mre.races").fetchall())
    assert races == {int(r): t["length_seconds"] for r, t in truth.items()}
    results = dict(pg_conn.execute("SELECT race_id || ':' || driver_id, laps FROM mre.race_results").fetchall())
    assert results == results_before
    assert f"{len(truth)} stored" in out and "races" in out and "race_results" in out
    # Only the race pages were re-parsed; every other page was skipped (same body, same parser).
    pages = sum(load_truth(small_site)["pages"].values()) - 1  # a track crawl does not read the catalogue
    assert f"{pages - len(truth)} skipped" in out

    # Nothing was fetched: no request reached the (stopped) server, no fetch was recorded.
    assert len(server.log) == requests
    assert pg_conn.execute("SELECT sum(fetch_count) FROM mre.fetched_pages").fetchone()[0] == fetches_before

    # Idempotent: a second run skips everything and writes 0 rows.
    assert main(["reprocess", "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    assert f"{pages} skipped" in out and "rows: 0 inserted, 0 updated, 0 removed" in out
    # Forced to re-parse everything: still 0 rows (race pages parse to the stored items).
    assert main(["reprocess", "--force", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert f"{len(truth)} parsed to the stored items" in out and "rows: 0 inserted, 0 updated, 0 removed" in out


def test_reprocess_filters_by_track_event_and_page_type(small_site, serve, crawl, pg_conn, env, capsys):
    server = serve(small_site)
    crawl("track", {"track": slug_of(small_site)}, MRE_SITE=server.site, MRE_HOME=str(env))
    server.stop()
    truth = load_truth(small_site)
    event_id = int(truth["races"][next(iter(truth["races"]))]["event_id"])
    race_ids = [int(r) for r, t in truth["races"].items() if t["event_id"] == event_id]
    pg_conn.execute("UPDATE mre.races SET length_seconds = NULL")
    pg_conn.execute("UPDATE mre.stored_pages SET parser_version = 0")

    assert main(["reprocess", "--event", str(event_id), "--page-type", "race_result", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"reprocessed {len(race_ids)} pages")
    filled = {r for (r,) in pg_conn.execute("SELECT race_id FROM mre.races WHERE length_seconds IS NOT NULL")}
    assert filled == set(race_ids)
    assert main(["reprocess", "--track", "no-such-track"]) == 0
    assert capsys.readouterr().out.startswith("reprocessed 0 pages")


def test_a_quarantined_page_whose_body_now_parses_is_stored_and_resolved(small_site, serve, crawl, pg_conn, env, capsys):
    from mre_crawler.db import connect
    from mre_crawler.store import Store

    server = serve(small_site)
    crawl("track", {"track": slug_of(small_site)}, MRE_SITE=server.site, MRE_HOME=str(env))
    server.stop()
    race_file, race_url, _ = next(r for r in read_manifest(small_site) if r[2] == "race_result")
    race_id = int(race_url.rsplit("=", 1)[1])
    # As an older parser left it: the page in quarantine, its rows never stored.
    pg_conn.execute("DELETE FROM mre.laps WHERE race_id = %s", (race_id,))
    pg_conn.execute("DELETE FROM mre.race_results WHERE race_id = %s", (race_id,))
    pg_conn.execute("DELETE FROM mre.stored_pages WHERE url = %s", (race_url,))
    with connect(os.environ["MRE_DATABASE_URL"], autocommit=True) as conn:
        store = Store(conn)
        store.quarantine(race_url, "race_result", (small_site / race_file).read_bytes(), "parser version 0 failed")
        store.flush()

    assert main(["reprocess", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 quarantine entries resolved" in out
    assert pg_conn.execute("SELECT count(*) FROM mre.quarantine WHERE resolved_at IS NULL").fetchone()[0] == 0
    rows = load_truth(small_site)["races"][str(race_id)]["rows"]
    assert pg_conn.execute("SELECT count(*) FROM mre.race_results WHERE race_id = %s", (race_id,)).fetchone()[0] == rows


def test_prune_keeps_the_bodies_stored_rows_came_from(site_copy, serve, crawl, pg_conn, env):
    from mre_crawler.commands.archive import duration, prune
    from mre_crawler.db import connect

    server = serve(site_copy)
    crawl("track", {"track": slug_of(site_copy)}, MRE_SITE=server.site, MRE_HOME=str(env))
    race_file, race_url, _ = next(r for r in read_manifest(site_copy) if r[2] == "race_result")
    old_sha = hashlib.sha256((site_copy / race_file).read_bytes()).hexdigest()
    # Upstream the race page changed: the re-crawl archives its new body, the old one stays.
    page = (site_copy / race_file).read_text()
    (site_copy / race_file).write_text(page.replace("</body>", "<!-- re-scored --></body>"))
    crawl("track", {"track": slug_of(site_copy)}, MRE_SITE=server.site, MRE_HOME=str(env), MRE_CACHE_ENABLED=0)
    server.stop()
    archive = PageArchive(env / "archive")
    assert archive.has(old_sha)
    current = set(pg_conn.execute("SELECT url, body_sha256 FROM mre.stored_pages").fetchall())
    with connect(os.environ["MRE_DATABASE_URL"], autocommit=True) as conn:
        assert prune(conn, archive, duration("30d"), grace_seconds=0)["rows"] == 0  # nothing that old
        assert archive.has(old_sha)
        # A file a killed crawl left behind, with no index row: harmless, and pruned.
        orphan = hashlib.sha256(b"<html>orphan</html>").hexdigest()
        archive.put(b"<html>orphan</html>", orphan)
        done = prune(conn, archive, duration("0s"), grace_seconds=0)
        assert done["rows"] == 1 and done["files"] == 2  # the superseded body and the orphan
        assert not archive.has(old_sha) and not archive.has(orphan)
        kept = set(conn.execute("SELECT url, body_sha256 FROM mre.page_archive").fetchall())
        assert current <= kept  # every body a stored row was built from is still there
        for _, sha in kept:
            archive.get(sha)
        # Another track's prune touches nothing of this one.
        assert prune(conn, archive, duration("0s"), track="other-track", include_current=True, grace_seconds=0)["rows"] == 0
        # Asked for: the current bodies go too.
        done = prune(conn, archive, duration("0s"), track=slug_of(site_copy), include_current=True, grace_seconds=0)
        assert done["rows"] == len([u for u, _ in kept if "://live." not in u])
    # The archive still reads what is left; reprocess reports pruned bodies as missing, never fails.
    assert main(["reprocess", "--force", "--jobs", "1"]) == 0


def test_archive_files_are_zstd_and_named_by_the_body_hash(tmp_path):
    archive = PageArchive(tmp_path)
    body = b"<html>" + b"lap " * 10_000 + b"</html>"
    sha = hashlib.sha256(body).hexdigest()
    size = archive.put(body)
    path = archive.path(sha)
    assert path.name == f"{sha}.zst" and path.stat().st_size == size < len(body) / 10
    assert zstandard.ZstdDecompressor().decompress(path.read_bytes()) == body
    assert archive.put(body) == size and len(list(tmp_path.rglob("*"))) == 3  # two folders, one file
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_parser_change_outside_the_laps_rewrites_the_changed_rows_and_leaves_the_laps_alone(
        small_site, serve, crawl, pg_conn, env, capsys):
    """Re-parsing the same body to the same laps (their digest in ``stored_pages.part_digests``) does
    not stage the laps again; the database ends exactly as a full write leaves it."""
    from tests.fixtures_faults import db_snapshot, diff_snapshots

    server = serve(small_site)
    crawl("track", {"track": slug_of(small_site)}, MRE_SITE=server.site, MRE_HOME=str(env))
    server.stop()
    truth = load_truth(small_site)["races"]
    # A crawl records no digests: a forced re-parse stores them (and writes no data row).
    assert main(["reprocess", "--force", "--jobs", "1"]) == 0
    assert "rows: 0 inserted, 0 updated, 0 removed" in capsys.readouterr().out
    parts = pg_conn.execute("SELECT count(*) FROM mre.stored_pages WHERE part_digests ? 'laps'").fetchone()[0]
    assert parts == len(truth)
    baseline = db_snapshot(pg_conn)
    laps_touched = pg_conn.execute("SELECT max(updated_at), count(*) FROM mre.laps").fetchone()

    # What an older race parser left: no race length, no laps count per result; the same laps.
    pg_conn.execute("UPDATE mre.races SET length_seconds = NULL")
    pg_conn.execute("UPDATE mre.race_results SET laps = NULL")
    pg_conn.execute("UPDATE mre.stored_pages SET parser_version = 0, items_digest = NULL WHERE page_type = 'race_result'")
    assert main(["reprocess", "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    assert f"{len(truth)} stored" in out
    tables = {line.split()[0] for line in out.splitlines()[3:]}
    assert {"races", "race_results"} <= tables and "laps" not in tables
    assert diff_snapshots(baseline, db_snapshot(pg_conn)) == []
    assert pg_conn.execute("SELECT max(updated_at), count(*) FROM mre.laps").fetchone() == laps_touched
