"""Retention: `mre practice archive --older-than AGE` moves days out of the hot tables and back."""

from __future__ import annotations

import pytest

from tests.test_practice_site import TRACK, truth_days

pytestmark = [pytest.mark.db]

HOT = ("events", "practice_days", "practice_day_classes", "practice_sessions", "practice_laps")


def counts(conn, schema):
    return {t: conn.execute(f"SELECT count(*) FROM {schema}.{t}").fetchone()[0] for t in HOT}


def test_archive_moves_old_days_out_and_restore_brings_them_back(practice_site, serve, practice, pg_conn, pg_url,
                                                                 monkeypatch, capsys):
    from mre_crawler.cli import main

    server = serve(practice_site)
    day = min(truth_days(practice_site, TRACK))
    practice("ingest", TRACK, site=server.site, date=day.isoformat())
    hot = counts(pg_conn, "mre")
    stats = pg_conn.execute("SELECT total_laps, matches_panel FROM mre.practice_days").fetchone()
    assert all(hot.values())

    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    assert main(["practice", "archive", "--older-than", "6m"]) == 0
    assert f"{TRACK}-practice-{day.isoformat()}" in capsys.readouterr().out
    assert counts(pg_conn, "mre") == dict.fromkeys(HOT, 0)
    assert counts(pg_conn, "mre_archive") == hot

    assert main(["practice", "archive", "--restore", "--track", TRACK]) == 0
    assert counts(pg_conn, "mre") == hot and counts(pg_conn, "mre_archive") == dict.fromkeys(HOT, 0)
    assert pg_conn.execute("SELECT total_laps, matches_panel FROM mre.practice_days").fetchone() == stats


def test_ingesting_an_archived_day_brings_it_back_instead_of_a_second_copy(practice_site, serve, practice, pg_conn):
    from mre_crawler.practice.archive import archive_days

    server = serve(practice_site)
    day = min(truth_days(practice_site, TRACK))
    practice("ingest", TRACK, site=server.site, date=day.isoformat())
    hot = counts(pg_conn, "mre")
    assert archive_days(pg_conn, day.replace(year=day.year + 1)) == [f"{TRACK}-practice-{day.isoformat()}"]
    run = practice("ingest", TRACK, site=server.site, date=day.isoformat())
    assert run.metrics["rows_changed"] == 0
    assert counts(pg_conn, "mre") == hot and counts(pg_conn, "mre_archive") == dict.fromkeys(HOT, 0)
