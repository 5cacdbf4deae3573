"""``mre follow``/``unfollow``/``following`` and ``mre schedule`` as a user runs them."""

from __future__ import annotations

import json

from mre_crawler.cli import main


def test_follow_list_and_unfollow(pg_url, pg_conn, monkeypatch, capsys):
    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    assert main(["follow", "myclub", "otherclub", "--practice", "--since", "2025-01-01"]) == 0
    assert "following myclub with practice days since 2025-01-01" in capsys.readouterr().out
    assert main(["follow", "myclub"]) == 0  # following again updates the options
    assert "still following myclub" in capsys.readouterr().out
    assert main(["following", "--json"]) == 0
    rows = {r["slug"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == {"myclub", "otherclub"}
    assert (rows["myclub"]["practice"], rows["myclub"]["since"]) == (False, None)
    assert (rows["otherclub"]["practice"], rows["otherclub"]["since"]) == (True, "2025-01-01")
    assert rows["myclub"]["last_sync_at"] is None
    assert main(["following"]) == 0
    assert "never" in capsys.readouterr().out
    assert main(["unfollow", "otherclub", "nosuchclub"]) == 1
    captured = capsys.readouterr()
    assert "no longer following otherclub" in captured.out and "nosuchclub was not followed" in captured.err
    assert [r[0] for r in pg_conn.execute("SELECT slug FROM mre.followed_tracks")] == ["myclub"]


def test_a_bad_slug_is_bad_input(pg_url, monkeypatch, capsys):
    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    assert main(["follow", "not a slug!"]) == 2


def test_schedule_prints_cron_and_systemd_with_a_stable_drawn_minute(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("MRE_HOME", str(tmp_path))
    monkeypatch.setenv("MRE_CONTACT", "results@myclub.example")
    assert main(["schedule"]) == 0
    first = capsys.readouterr().out
    assert main(["schedule"]) == 0
    assert capsys.readouterr().out == first  # the same installation draws the same time
    cron = next(line for line in first.splitlines() if line and not line.startswith("#") and "sync >>" in line)
    minute, hour, *_rest = cron.split()
    assert 0 <= int(minute) <= 59 and 1 <= int(hour) <= 5
    assert f"MRE_HOME={tmp_path}" in cron and "MRE_CONTACT=results@myclub.example" in cron
    assert f"OnCalendar=*-*-* {int(hour):02d}:{int(minute):02d}:00" in first
    assert "ExecStart=/" in first and first.count("[Unit]") == 2
    assert main(["schedule", "--minute", "7", "--hour", "4", "--format", "cron"]) == 0
    assert capsys.readouterr().out.startswith("7 4 * * *  ")
    assert main(["schedule", "--minute", "60"]) == 2
