"""Cassettes are recorded with betamax from a local replay server and name the real LiveRC URLs."""

from __future__ import annotations

import json

import pytest

from mre_crawler.cassettes import CassetteLibrary, record

RACE = "https://canberraoffroad.liverc.com/results/?p=view_race_result&id=6304829"
MISSING = "https://canberraoffroad.liverc.com/results/?p=view_race_result&id=6304831"


@pytest.mark.liverc
def test_recording_from_a_replay_server_keeps_liverc_urls(liverc, serve, tmp_path):
    server = serve(liverc["race-6304829.html"].path.parent)
    cassette = tmp_path / "race.json"
    report = record([RACE, MISSING], cassette, site=server.site, contact="tests@example.invalid")
    assert report.recorded == [(RACE, 200), (MISSING, 404)]
    data = json.loads(cassette.read_text())
    assert [i["request"]["uri"] for i in data["http_interactions"]] == [RACE, MISSING]
    assert "127.0.0.1" not in cassette.read_text()
    library = CassetteLibrary([cassette])
    assert library.lookup("GET", RACE).body == liverc["race-6304829.html"].body
    assert library.lookup("GET", MISSING).status == 404
    assert library.lookup("GET", RACE.replace("6304829", "1")) is None
    assert server.log[0].user_agent.startswith("MRE/")
