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


@pytest.mark.liverc
def test_a_replayed_decoded_body_does_not_look_cut(liverc, serve, tmp_path):
    # Recorded from a server that sent gzip, the cassette holds the decoded body with the encoded
    # Content-Length; replayed, that length must not make the whole page look cut (issue 9).
    from scrapy.http import Request
    from scrapy.utils.test import get_crawler

    from mre_crawler.completeness import cut_reason
    from mre_crawler.middlewares.replay import LiveRCDownloadHandler

    server = serve(liverc["race-6304829.html"].path.parent)
    cassette = tmp_path / "race.json"
    record([RACE], cassette, site=server.site, contact="tests@example.invalid")
    data = json.loads(cassette.read_text())
    data["http_interactions"][0]["response"]["headers"].update({"Content-Encoding": ["gzip"], "Content-Length": ["24321"]})
    cassette.write_text(json.dumps(data))

    handler = LiveRCDownloadHandler(get_crawler(settings_dict={"MRE_CASSETTE": str(cassette), "MRE_HOME": str(tmp_path)}))
    response = handler._from_cassette(Request(RACE))
    assert response.body == liverc["race-6304829.html"].body
    assert cut_reason(response.body, response.headers) is None
