"""FaultServer: each fault does what it says on the wire, picked the same way for the same seed, and logged.

Checked with http.client over loopback against the session's small generated site; the expected
bytes are the site's own pages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import random
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mre_crawler.faultserver import OFFSITE_URL, FaultRule, FaultServer, cut_point, load_fault_spec, parse_fault_spec
from mre_crawler.samplesite import read_manifest
from mre_crawler.urls import host_slug, read_url, to_site
from tests.fixtures_faults import Difference, diff_snapshots, unexcused


def pages_of(site: Path, page_type: str) -> list[tuple[str, bytes]]:
    return [(url, (site / file).read_bytes()) for file, url, t in read_manifest(site) if t == page_type]


@contextlib.contextmanager
def opened(server: FaultServer, liverc_url: str, *, host: str | None = None,
           timeout: float = 5) -> Iterator[http.client.HTTPResponse]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.request("GET", to_site(liverc_url, "http://x")[len("http://x"):], headers={"Host": host} if host else {})
        yield conn.getresponse()
    finally:
        conn.close()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def get(server: FaultServer, liverc_url: str, **kwargs) -> Answer:
    with opened(server, liverc_url, **kwargs) as r:
        return Answer(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())


def test_a_status_storm_answers_first_n_times_with_retry_after_then_the_page(small_site, fault_server):
    url, page = pages_of(small_site, "race_result")[0]
    server = fault_server(small_site, [FaultRule("status", status=429, retry_after="2", first=2)])
    answers = [(a.status, a.header("Retry-After"), a.body) for a in (get(server, url) for _ in range(3))]
    assert [a[:2] for a in answers] == [(429, "2"), (429, "2"), (200, None)]
    assert answers[2][2] == page
    assert [(e.status, e.fault) for e in server.requests_for(url)] == [(429, "status 429"), (429, "status 429"), (200, None)]


def test_a_storm_for_a_time_window_ends_when_the_window_does(small_site, fault_server):
    url, _ = pages_of(small_site, "event")[0]
    server = fault_server(small_site, [FaultRule("status", for_seconds=0.0)])
    assert get(server, url).status == 503  # starts the window
    assert get(server, url).status == 200  # a window of 0 s is over at once


@pytest.mark.parametrize("at", ["results", "laps", 0.25, "random"])
def test_a_cut_body_is_a_prefix_of_the_page_with_a_content_length_that_matches_it(small_site, fault_server, at):
    url, page = pages_of(small_site, "race_result")[0]
    server = fault_server(small_site, [FaultRule("cut", at=at)], seed=5)
    r = get(server, url)
    body = r.body
    assert r.status == 200 and int(r.header("Content-Length")) == len(body)
    assert 0 < len(body) < len(page) and page.startswith(body)
    if at == "results":  # after whole rows, inside the table
        tbody = body[body.index(b"<tbody"):]
        assert tbody.rstrip().endswith(b"</tr>") and b"</tbody>" not in tbody
        assert 0 < tbody.count(b"<tr>") < page[page.index(b"<tbody"):].count(b"<tr>")
    elif at == "laps":  # inside the lap script: the results table never arrives
        assert b"racerLaps" in body and b"</script>" not in body[body.index(b"racerLaps"):]
    elif at == 0.25:
        assert len(body) == int(len(page) * 0.25)
    assert server.faults_applied("cut")[0].bytes_sent == len(body)


def test_a_random_cut_point_is_the_same_for_the_same_seed(small_site, fault_server):
    url, _ = pages_of(small_site, "race_result")[0]
    lengths = {}
    for seed in (1, 1, 2):
        server = fault_server(small_site, [FaultRule("cut", at="random")], seed=seed)
        lengths.setdefault(seed, []).append(len(get(server, url).body))
    assert lengths[1][0] == lengths[1][1] != lengths[2][0]


def test_a_page_without_a_results_table_is_not_cut_inside_one(small_site, fault_server):
    url, page = pages_of(small_site, "event")[0]
    server = fault_server(small_site, [FaultRule("cut", at="results")])
    assert get(server, url).body == page and server.faults_applied() == []


def test_a_laps_cut_finds_the_practice_sessions_laps_object_too():
    page = (b"<html><body><table class=\"practice_session\"></table>\n<script type=\"text/javascript\">\n"
            b"var lapsObj = [\n{\"lap\": 1, \"time\": 31.2},\n{\"lap\": 2, \"time\": 30.9},\n"
            b"{\"lap\": 3, \"time\": 30.7}\n];\nvar laps = [];\n</script>\n</body></html>\n")
    point = cut_point(page, "laps", random.Random(0))
    start, end = page.index(b"lapsObj"), page.index(b"</script>")
    assert start < point < end and page[point - 1:point] == b"\n"
    assert cut_point(page, "results", random.Random(0)) is None  # no race results table here


def test_a_short_answer_declares_the_whole_length_sends_less_and_closes(small_site, fault_server):
    url, page = pages_of(small_site, "event")[0]
    server = fault_server(small_site, [FaultRule("short", at=0.4)])
    with opened(server, url) as r, pytest.raises(http.client.IncompleteRead) as exc:
        assert int(r.getheader("Content-Length")) == len(page)
        r.read()
    assert exc.value.partial == page[: int(len(page) * 0.4)]
    assert server.faults_applied("short")[0].bytes_sent == int(len(page) * 0.4)


@pytest.mark.parametrize("action", ["garbage", "empty", "challenge"])
def test_garbage_empty_and_challenge_bodies(small_site, fault_server, action):
    url, page = pages_of(small_site, "race_result")[0]
    server = fault_server(small_site, [FaultRule(action)], seed=3)
    r = get(server, url)
    body = r.body
    assert int(r.header("Content-Length")) == len(body)
    if action == "garbage":
        assert r.status == 200 and len(body) == len(page) and body != page
        assert get(server, url).body != body  # a new draw each time, from the seed
        again = fault_server(small_site, [FaultRule(action)], seed=3)
        assert get(again, url).body == body
    elif action == "empty":
        assert (r.status, body) == (200, b"")
    else:
        assert r.status == 403 and r.header("cf-mitigated") == "challenge"
        assert b"<title>Just a moment...</title>" in body and host_slug(url).encode() in body


def test_a_slow_answer_outlasts_the_clients_timeout(small_site, fault_server):
    url, _ = pages_of(small_site, "event")[0]
    server = fault_server(small_site, [FaultRule("slow", seconds=1.0)])
    with pytest.raises(socket.timeout):
        get(server, url, timeout=0.3)
    assert server.faults_applied("slow")[0].url == url


def test_a_dropped_connection_gets_no_answer(small_site, fault_server):
    url, _ = pages_of(small_site, "event")[0]
    server = fault_server(small_site, [FaultRule("drop", first=1)])
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        get(server, url)
    assert get(server, url).status == 200
    size = len((small_site / next(f for f, u, _t in read_manifest(small_site) if u == url)).read_bytes())
    assert [(e.status, e.fault, e.bytes_sent) for e in server.requests_for(url)] == [(None, "drop", 0), (200, None, size)]


def location(server: FaultServer, url: str) -> tuple[int, str]:
    r = get(server, url)
    return r.status, r.header("Location")


@pytest.mark.parametrize("to", ["https", "site", "slash", "other-id", "other-type", "other-track", "offsite"])
def test_redirects_carry_the_location_they_promise(small_site, fault_server, to):
    url, _ = pages_of(small_site, "race_result")[0]
    server = fault_server(small_site, [FaultRule("redirect", to=to, status=301, first=1)], seed=2)
    status, target = location(server, url)
    assert status == 301
    page = read_url(url)
    if to == "https":
        assert target == url
    elif to == "site":
        assert target == to_site(url, server.site)
    elif to == "slash":
        assert target == url.replace("/results/?", "/results?") and read_url(target).id == page.id
    elif to == "other-id":
        other = read_url(target)
        assert (other.page_type, other.slug) == (page.page_type, page.slug) and other.id != page.id
        assert target in {u for _f, u, _t in read_manifest(small_site)}
    elif to == "other-type":
        assert read_url(target).page_type != page.page_type and read_url(target).slug == page.slug
    elif to == "other-track":  # the folder has one track: the same page on a track it does not have
        assert read_url(target).slug == f"other{page.slug}" and read_url(target).id == page.id
    else:
        assert target == OFFSITE_URL
    assert server.faults_applied("redirect")[0].fault.endswith(f"-> {target}")
    assert get(server, url).status == 200  # first=1: the second request gets the page


def test_both_trailing_slash_spellings_of_a_page_are_served(small_site, fault_server):
    url, page = pages_of(small_site, "race_result")[0]
    server = fault_server(small_site)
    assert get(server, url.replace("/results/?", "/results?")).body == page
    assert len(server.requests_for(url)) == 1


def test_a_seeded_share_picks_the_same_pages_for_the_same_seed_and_only_those_are_faulted(small_site, fault_server):
    races = [u for u, _ in pages_of(small_site, "race_result")]
    rule = FaultRule("empty", page_type="race_result", share=0.2)
    picks = {seed: fault_server(small_site, [rule], seed=seed).chosen(0) for seed in (7, 8)}
    again = fault_server(small_site, [rule], seed=7)
    assert again.chosen(0) == picks[7] != picks[8]
    assert len(picks[7]) == round(0.2 * len(races)) and set(picks[7]) <= set(races)
    for url in races:
        get(again, url)
    assert again.faulted_urls("empty") == set(picks[7])


def test_rules_match_by_url_regex_and_the_first_applicable_rule_wins(small_site, fault_server):
    races = [u for u, _ in pages_of(small_site, "race_result")]
    target = races[3]
    race_id = read_url(target).id
    server = fault_server(small_site, [FaultRule("status", status=500, url=rf"id={race_id}$", first=1),
                                       FaultRule("empty", page_type="race_result")])
    # The regex reads the manifest's spelling of the page, whatever the query order asked;
    # first=1 counts per page, not per spelling.
    reordered = target.replace("?p=view_race_result&id=", "?id=") + "&p=view_race_result"
    assert [get(server, reordered).status, get(server, target).status] == [500, 200]
    assert get(server, races[0]).body == b""
    assert [e.rule for e in server.log] == [0, 1, 1]


def test_on_request_hooks_see_the_running_count_before_the_answer(small_site, fault_server):
    url, _ = pages_of(small_site, "event")[0]
    server = fault_server(small_site, [FaultRule("status", first=1)])
    seen = []
    server.on_request(lambda n, entry: seen.append((n, entry.url, entry.status, entry.bytes_sent)))
    get(server, url)
    get(server, url)
    assert seen == [(1, url, 503, None), (2, url, 200, None)]


def test_requests_naming_another_host_are_recorded(small_site, fault_server):
    url, _ = pages_of(small_site, "event")[0]
    server = fault_server(small_site)
    get(server, url)
    get(server, url, host="offsite.invalid")
    assert server.hosts_requested == {f"127.0.0.1:{server.port}", "offsite.invalid"}
    assert [e.host for e in server.foreign_requests()] == ["offsite.invalid"]


def test_a_fault_spec_reads_as_json_and_rejects_what_it_does_not_know(tmp_path):
    spec = {"seed": 4, "rules": [{"action": "status", "status": 503, "retry_after": 1, "page_type": "race_result",
                                  "share": 0.3, "first": 2},
                                 {"action": "redirect", "to": "offsite", "url": "id=6"}]}
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(spec))
    loaded = load_fault_spec(path)
    assert loaded.seed == 4 and loaded.rules[0].retry_after == "1" and loaded.rules[0].page_type == ("race_result",)
    assert [r.to_dict() for r in loaded.rules] == [{**spec["rules"][0], "page_type": ["race_result"], "retry_after": "1"},
                                                    spec["rules"][1]]
    assert load_fault_spec(path, seed=9).seed == 9
    for bad, message in (({"rules": [{"action": "explode"}]}, "unknown fault action"),
                         ({"rules": [{"action": "cut", "at": "middle"}]}, "at must be"),
                         ({"rules": [{"action": "status", "shar": 0.5}]}, "unknown fault rule key 'shar'"),
                         ({"rules": [{"action": "redirect", "to": "elsewhere"}]}, "redirect to must be"),
                         ({"rules": [{"action": "status", "url": "("}]}, "rule 1"),
                         ({"seed": 1}, "a fault spec is")):
        with pytest.raises(ValueError, match=re.escape(message)):
            parse_fault_spec(bad)


def test_mre_serve_refuses_a_bad_rules_file(small_site, tmp_path, capsys):
    from mre_crawler.cli import main

    rules = tmp_path / "rules.json"
    rules.write_text('{"rules": [{"action": "cut", "at": 2}]}')
    assert main(["serve", str(small_site), "--port", "0", "--faults", str(rules)]) == 2
    assert "rule 1: at must be a fraction" in capsys.readouterr().err
    assert main(["serve", str(small_site), "--port", "0", "--seed", "3"]) == 2
    assert "--seed goes with --faults" in capsys.readouterr().err


def test_mre_serve_with_faults_applies_the_rules_file_and_prints_each_fault(small_site, tmp_path):
    import subprocess
    import sys

    url, _ = pages_of(small_site, "race_result")[0]
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"seed": 1, "rules": [{"action": "status", "status": 503, "retry_after": 7,
                                                       "url": re.escape(url.rsplit("=", 1)[1]) + "$", "first": 1}]}))
    proc = subprocess.Popen([sys.executable, "-m", "mre_crawler", "serve", str(small_site), "--port", "0",
                             "--faults", str(rules)], stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        while not lines or not lines[-1].startswith("crawl it with"):
            lines.append(proc.stdout.readline())
            assert lines[-1], "mre serve ended early"
        assert lines[:2] == ["faults (seed 1):\n", f"  rule 0: action=status url={re.escape(url.rsplit('=', 1)[1])}$ "
                             "first=1 status=503 retry_after=7  (1 pages of the folder match)\n"]
        site = lines[-2].split(" at ", 1)[1].strip()
        conn = http.client.HTTPConnection(*site[len("http://"):].split(":"), timeout=5)
        conn.request("GET", to_site(url, "http://x")[len("http://x"):])
        r = conn.getresponse()
        r.read()
        conn.close()
        assert (r.status, r.getheader("Retry-After")) == (503, "7")
        assert proc.stdout.readline().split() == ["1", url, "rule", "0:", "status", "503"]
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


# -- diff_snapshots on hand-made snapshots -------------------------------------------------------------
SLUG = "trackx"
RACE = "https://trackx.liverc.com/results/?p=view_race_result&id=7"
EVENT = "https://trackx.liverc.com/results/?p=view_event&id=3"
ENTRY_LIST = "https://trackx.liverc.com/results/?p=view_entry_list&id=3"


def snapshot() -> dict:
    return {
        "events": {("3",): {"source_event_id": "3", "source": "liverc", "event_id": 3, "track_slug": SLUG, "present": True}},
        "races": {(7,): {"race_id": 7, "event_id": 3, "track_slug": SLUG, "race_name": "A-Main", "present": True}},
        "race_results": {(7, 100): {"race_id": 7, "driver_id": 100, "position": 1, "present": True},
                         (7, 101): {"race_id": 7, "driver_id": 101, "position": 2, "present": True}},
        "drivers": {(100,): {"driver_id": 100, "display_name": "A"}, (101,): {"driver_id": 101, "display_name": "B"}},
        "entries": {(3, "Buggy", "a"): {"event_id": 3, "class_name": "Buggy", "name_key": "a", "present": True}},
    }


def test_diff_names_lost_wrong_and_extra_rows_with_the_pages_that_own_them():
    got = snapshot()
    del got["race_results"][(7, 101)]  # lost
    got["races"][(7,)]["race_name"] = "B-Main"  # wrong
    got["entries"][(3, "Buggy", "a")]["present"] = False  # marked removed: lost
    got["drivers"][(102,)] = {"driver_id": 102, "display_name": "C"}  # extra
    diffs = {(d.kind, d.table, d.key): d for d in diff_snapshots(snapshot(), got)}
    assert set(diffs) == {("lost", "race_results", (7, 101)), ("wrong", "races", (7,)),
                          ("lost", "entries", (3, "Buggy", "a")), ("extra", "drivers", (102,))}
    assert diffs["lost", "race_results", (7, 101)].pages == {RACE}
    assert diffs["lost", "race_results", (7, 101)].via == {EVENT, "https://trackx.liverc.com/events/"}
    assert diffs["wrong", "races", (7,)].pages == {RACE, EVENT} and diffs["wrong", "races", (7,)].columns == ("race_name",)
    assert diffs["lost", "entries", (3, "Buggy", "a")].pages == {ENTRY_LIST}
    assert "race_name: 'A-Main' -> 'B-Main'" in str(diffs["wrong", "races", (7,)])
    assert diff_snapshots(snapshot(), snapshot()) == []


def test_a_difference_is_excused_only_by_a_listed_failed_page_and_an_extra_row_never():
    got = snapshot()
    del got["race_results"][(7, 101)]
    got["race_results"][(7, 100)]["position"] = 3
    got["race_results"][(7, 102)] = {"race_id": 7, "driver_id": 102, "position": 2, "present": True}
    diffs = diff_snapshots(snapshot(), got)
    assert {d.kind for d in unexcused(diffs, [])} == {"lost", "wrong", "extra"}
    # The failure list's spelling of the URL (query order, trailing slash) does not matter.
    failed = ["https://trackx.liverc.com/results?id=7&p=view_race_result"]
    assert [(d.kind, d.key) for d in unexcused(diffs, failed)] == [("extra", (7, 102))]
    # A failed event page excuses its races' rows too: the crawl never reached their pages.
    assert [(d.kind, d.key) for d in unexcused(diffs, [EVENT])] == [("extra", (7, 102))]
    assert {d.kind for d in unexcused(diffs, [ENTRY_LIST])} == {"lost", "wrong", "extra"}  # another page excuses nothing


def test_a_driver_row_is_owned_by_the_race_pages_that_list_the_driver():
    got = snapshot()
    del got["drivers"][(101,)]
    (lost,) = diff_snapshots(snapshot(), got)
    assert isinstance(lost, Difference) and lost.pages == {RACE}


def test_practice_rows_are_owned_by_their_day_and_session_pages():
    day = dt.date(2025, 11, 2)
    base = {"practice_sessions": {(55,): {"session_id": 55, "source_event_id": f"{SLUG}-practice-2025-11-02",
                                         "track_slug": SLUG, "practice_date": day, "driver_key": "x", "present": True}},
            "practice_laps": {(55, 1): {"session_id": 55, "lap_number": 1, "present": True}}}
    (lost,) = diff_snapshots(base, {**base, "practice_laps": {}})
    assert lost.pages == {f"https://{SLUG}.liverc.com/practice/?p=view_session&id=55",
                          f"https://{SLUG}.liverc.com/practice/?p=session_list&d=2025-11-02"}


# A client in a process of its own asks for pages strictly one after another (each answer read
# whole before the next request is sent), as a shared-crawl worker does once it has given its
# per-track lease back. Busy threads in the server's process stand for a loaded machine: the
# handler thread that wrote an answer is then often not scheduled again before the next request
# arrives.
_SEQUENTIAL_CLIENT = r"""
import http.client, sys
port, n, paths = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
for i in range(n):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", paths[i % len(paths)])
    r = c.getresponse()
    r.read()
    c.close()
"""


def test_requests_sent_one_after_another_are_never_counted_in_flight_together(small_site, fault_server):
    import subprocess
    import sys
    import threading

    server = fault_server(small_site)
    paths = [to_site(url, "http://x")[len("http://x"):] for url, _ in pages_of(small_site, "race_result")]
    slug = host_slug(pages_of(small_site, "race_result")[0][0])
    stop = threading.Event()

    def busy() -> None:
        while not stop.is_set():
            sum(range(1000))

    hogs = [threading.Thread(target=busy, daemon=True) for _ in range(3)]
    for hog in hogs:
        hog.start()
    try:
        subprocess.run([sys.executable, "-c", _SEQUENTIAL_CLIENT, str(server.port), "200", *paths], check=True,
                       timeout=300)
    finally:
        stop.set()
        for hog in hogs:
            hog.join()
    assert len(server.log) == 200
    assert server.max_in_flight == {slug: 1}
    assert server.in_flight == {slug: 0}


def test_requests_that_overlap_are_counted_in_flight_together(small_site, fault_server):
    """The other side: two requests of a track answered slowly at the same time count two."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    server = fault_server(small_site, [FaultRule("slow", seconds=0.5, page_type="race_result")])
    urls = [url for url, _ in pages_of(small_site, "race_result")[:2]]
    ready = threading.Barrier(2)

    def fetch(url: str) -> int:
        ready.wait()
        return get(server, url, timeout=30).status

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(fetch, urls)) == [200, 200]
    assert server.max_in_flight == {host_slug(urls[0]): 2}
