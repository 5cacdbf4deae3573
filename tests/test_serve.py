"""`mre serve` / SiteServer: pages by LiveRC URL on 127.0.0.1, 404 for the rest, every request logged."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from mre_crawler.serve import ScriptedAnswer, SiteServer, site_key
from mre_crawler.urls import to_site

EVENT = "https://canberraoffroad.liverc.com/results/?p=view_event&id=486677"


def get(url: str) -> tuple[int, bytes, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


@pytest.mark.liverc
def test_real_pages_are_served_at_the_site_path_of_their_liverc_url(liverc, serve):
    server = serve(liverc["event-486677.html"].path.parent)  # the 7-column MANIFEST.tsv
    status, body, headers = get(to_site(EVENT, server.site))
    assert status == 200 and body == liverc["event-486677.html"].body
    assert headers["Content-Type"].startswith("text/html")
    status, _, _ = get(to_site("https://live.liverc.com/", server.site))
    assert status == 200  # the catalogue lives under /live/


@pytest.mark.liverc
def test_query_order_does_not_matter_and_unknown_pages_are_404(liverc, serve):
    server = serve(liverc["event-486677.html"].path.parent)
    assert get(f"{server.site}/canberraoffroad/results/?id=486677&p=view_event")[0] == 200
    assert get(to_site("https://canberraoffroad.liverc.com/results/?p=view_race_result&id=6304831", server.site))[0] == 404
    assert [r.status for r in server.log] == [200, 404]


def test_scripted_answers_come_first_then_the_page(tmp_path, serve):
    (tmp_path / "p.html").write_text("<html>dash</html>")
    (tmp_path / "manifest.tsv").write_text("file\turl\tpage_type\np.html\thttps://x.liverc.com/\ttrack_dashboard\n")
    server = serve(tmp_path)
    server.script("https://x.liverc.com/", [ScriptedAnswer(429, {"Retry-After": "7"}), ScriptedAnswer(503)])
    first, second, third = (get(f"{server.site}/x/") for _ in range(3))
    assert (first[0], first[2]["Retry-After"]) == (429, "7")
    assert second[0] == 503
    assert third[:2] == (200, b"<html>dash</html>")
    assert [r.status for r in server.requests_for("https://x.liverc.com/")] == [429, 503, 200]


def test_a_folder_without_manifest_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="no manifest.tsv"):
        SiteServer(tmp_path)


def test_site_key_sorts_the_query():
    assert site_key("/a/results/?p=x&id=1") == site_key("/a/results/?id=1&p=x")


def test_mre_serve_refuses_a_missing_folder(tmp_path, capsys):
    from mre_crawler.cli import main

    assert main(["serve", str(tmp_path / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err
