"""`mre quarantine list|retry`: a page quarantined by a crawl is stored after the "parser fix",
from its saved body, without re-crawling."""

from __future__ import annotations

import pytest

from mre_crawler.samplesite import load_truth, read_manifest

pytestmark = pytest.mark.db


def test_retry_stores_a_quarantined_page_once_it_parses(site_copy, serve, crawl, pg_url, pg_conn, monkeypatch, capsys):
    from mre_crawler.cli import main

    race_file, race_url = next((site_copy / f, u) for f, u, t in read_manifest(site_copy) if t == "race_result")
    race_id = int(race_url.rsplit("=", 1)[1])
    good = race_file.read_bytes()
    race_file.write_bytes(good.replace(b"race_result", b"race_outcome"))  # a layout LiveRC "changed"
    server = serve(site_copy)
    crawl("track", {"track": load_truth(site_copy)["tracks"][0]["slug"]}, MRE_SITE=server.site)
    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)

    assert main(["quarantine", "list"]) == 0
    listed = capsys.readouterr().out
    assert race_url in listed and "1 open entries" in listed

    # Nothing changed yet: retry keeps it (still unreadable), and says why.
    assert main(["quarantine", "retry"]) == 0
    assert "0 of 1 quarantined pages stored" in capsys.readouterr().out

    # "The parser is fixed": here the saved body is made readable again, standing in for a parser
    # that now reads the new layout. The server is gone: retry must not fetch anything.
    pg_conn.execute("UPDATE mre.quarantine SET body = %s WHERE url = %s", (good, race_url))
    server.stop()
    assert main(["quarantine", "retry"]) == 0
    assert "1 of 1 quarantined pages stored" in capsys.readouterr().out
    rows, event_id = pg_conn.execute(
        "SELECT count(*), max(r.event_id) FROM mre.race_results rr JOIN mre.races r USING (race_id) WHERE race_id = %s",
        (race_id,),
    ).fetchone()
    assert rows == load_truth(site_copy)["races"][str(race_id)]["rows"]
    assert event_id == load_truth(site_copy)["races"][str(race_id)]["event_id"]
    assert pg_conn.execute("SELECT count(*) FROM mre.quarantine WHERE resolved_at IS NULL").fetchone()[0] == 0


def test_retry_reparses_the_archived_body_of_an_entry_that_kept_none(site_copy, serve, crawl, pg_url, pg_conn,
                                                                     monkeypatch, tmp_path, capsys):
    """`mre quarantine retry` is `mre reprocess` over the open entries: an entry without a body of its
    own (an older parser failed on the page; the entry kept no body) is re-parsed from the raw page
    archive, with the site's server stopped; an entry whose body is neither kept nor archived is
    kept, saying so."""
    from mre_crawler.archive import PageArchive
    from mre_crawler.cli import main

    home = tmp_path / "home"
    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    monkeypatch.setenv("MRE_HOME", str(home))
    for name in ("MRE_ARCHIVE_DIR", "MRE_ARCHIVE_ENABLED"):
        monkeypatch.delenv(name, raising=False)
    truth = load_truth(site_copy)
    server = serve(site_copy)
    crawl("track", {"track": truth["tracks"][0]["slug"]}, MRE_SITE=server.site, MRE_HOME=str(home))
    requests = len(server.log)
    server.stop()  # no network from here on
    races = [u for _, u, t in read_manifest(site_copy) if t == "race_result"]
    archived, pruned = races[0], races[1]
    ids = [int(u.rsplit("=", 1)[1]) for u in (archived, pruned)]
    # As an older parser left them: the pages' rows never stored, a quarantine entry without a body.
    for table in ("laps", "race_results"):
        pg_conn.execute(f"DELETE FROM mre.{table} WHERE race_id = ANY(%s)", (ids,))
    pg_conn.execute("DELETE FROM mre.stored_pages WHERE url = ANY(%s)", ([archived, pruned],))
    for url in (archived, pruned):
        pg_conn.execute("INSERT INTO mre.quarantine (url, page_type, item_key, reason) VALUES (%s, 'race_result', '', "
                        "'parser version 0 failed')", (url,))
    # The second page's body is gone from the archive (pruned by hand).
    sha = pg_conn.execute("SELECT body_sha256 FROM mre.page_archive WHERE url = %s", (pruned,)).fetchone()[0]
    assert PageArchive(home / "archive").remove(sha)

    assert main(["quarantine", "retry"]) == 0
    out = capsys.readouterr().out
    assert "1 of 2 quarantined pages stored" in out
    assert f"stored  {archived}  stored (body from the archive)" in out
    assert f"kept    {pruned}  body not in the archive" in out
    rows = pg_conn.execute("SELECT count(*) FROM mre.race_results WHERE race_id = %s", (ids[0],)).fetchone()[0]
    assert rows == truth["races"][str(ids[0])]["rows"]
    open_entries = [u for (u,) in pg_conn.execute("SELECT url FROM mre.quarantine WHERE resolved_at IS NULL")]
    assert open_entries == [pruned]
    assert len(server.log) == requests  # nothing fetched

    # Run again: the stored page is resolved, the other still kept.
    assert main(["quarantine", "retry"]) == 0
    assert "0 of 1 quarantined pages stored" in capsys.readouterr().out
