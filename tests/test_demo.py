"""`mre demo` on a fresh MRE_HOME: generates, serves, crawls and shows what it stored."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.db


def test_demo_crawls_a_sample_site_into_the_database_and_shows_it(pg_url, pg_conn, tmp_path, monkeypatch, capsys):
    from mre_crawler.cli import main
    from mre_crawler.samplesite import load_truth

    monkeypatch.setenv("MRE_HOME", str(tmp_path))
    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    assert main(["demo", "--tracks", "1", "--events", "2", "--no-progress"]) == 0
    out = capsys.readouterr().out
    truth = load_truth(tmp_path / "demo-site")
    races = pg_conn.execute("SELECT count(*) FROM mre.races").fetchone()[0]
    assert races == len(truth["races"])
    assert "Rows stored" in out and "Fastest laps of the A-Mains" in out and "mre db url" in out
    assert "0 pages failed" in out
