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
