"""racerLaps read as served (msgspec, straight into laps) gives what the general path gives.

The general path decodes each block into dicts and builds the laps in Python; the served path
either gives the same blocks and laps or refuses the page, and the parser then takes the general
path. Both are run over the real and generated race pages and over real pages with one lap value
rewritten into each form where the two readers could part.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mre_crawler.parsers import race_result, racer_laps_served
from mre_crawler.samplesite import SiteParams, iter_track

REAL_RACE = "race-6304829.html"
LAP_1 = b"'lapNum' : '1',\n\t\t\t\t\t\t\t\t\t\t\t\t'pos' : '1',\n\t\t\t\t\t\t\t\t\t\t\t\t'time' : '38.17',\n\t\t\t\t\t\t\t\t\t\t\t\t'pace' : '48/30:32.160',"


def _both_ways(body: bytes, url: str, monkeypatch: pytest.MonkeyPatch):
    served = race_result.parse(body, url, {"event_id": 486677})
    with monkeypatch.context() as m:
        m.setattr(race_result, "read_served_blocks", lambda codes: None)
        general = race_result.parse(body, url, {"event_id": 486677})
    return served, general


def _codes(body: bytes) -> list[str]:
    cut = race_result._cut_out(body)
    assert cut is not None
    return cut[1]


def test_every_real_and_generated_race_page_is_read_as_served_and_alike(liverc, monkeypatch) -> None:
    pages = [(liverc[name].url, liverc[name].body) for name in ("race-6304829.html", "race-6304830.html")]
    params = SiteParams(tracks=1, events=2, seed=11, practice_days=0, classes_per_event=(1, 2), drivers_per_class=(6, 20))
    pages += [(p.url, p.html().encode("utf-8")) for p in iter_track(params, 0) if p.page_type == "race_result"]
    assert len(pages) > 10
    for url, body in pages:
        assert racer_laps_served.read_served_blocks(_codes(body)) is not None, url
        served, general = _both_ways(body, url, monkeypatch)
        assert served.items == general.items, url
        assert served.problems == general.problems, url


@pytest.mark.parametrize(
    ("lap", "read_as_served"),
    [
        # forms the served path reads
        ({"time": "37.2340000000000000000001"}, True),
        ({"time": "1E2"}, True),
        ({"time": "0"}, True),
        ({"pace": ""}, True),
        ({"pos": "999"}, True),
        # forms it leaves to the general path
        ({"time": "-0"}, False),  # msgspec reads it as 0.0, float() as -0.0
        ({"time": "-1.5"}, False),
        ({"time": "nan"}, False),
        ({"time": "1e400"}, False),
        ({"time": " 38.17"}, False),
        ({"time": "3_8.17"}, False),
        ({"time": "99999"}, False),  # a lap over a day fails the range check
        ({"lapNum": "01"}, False),
        ({"lapNum": "1000"}, False),
        ({"lapNum": "+1"}, False),
        ({"lapNum": "1.0"}, False),  # msgspec's lax int would read it as 1; int() refuses it
        ({"pos": "1e0"}, False),
    ],
)
def test_a_lap_value_in_each_form_reads_alike_both_ways(liverc, monkeypatch, lap, read_as_served) -> None:
    page = liverc[REAL_RACE]
    assert page.body.count(LAP_1) == 1
    (key, value), = lap.items()
    field = f"'{key}' : '".encode()
    start = LAP_1.index(field) + len(field)
    end = LAP_1.index(b"'", start)
    body = page.body.replace(LAP_1, LAP_1[:start] + value.encode() + LAP_1[end:])
    assert (racer_laps_served.read_served_blocks(_codes(body)) is not None) is read_as_served
    served, general = _both_ways(body, page.url, monkeypatch)
    assert repr(served.items) == repr(general.items)  # repr tells -0.0 from 0.0 and shows NaN
    assert served.problems == general.problems


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"'lapNum' : '1',", b"'lapNum' : 1,"),  # a number, not a string
        (b"'time' : '38.17',", b"'time' : 38.17,"),
        (b"'pace' : '48/30:32.160',", b"'pace' : 48,"),
        (b"'pos' : '1',\n", b"'pos' : '1', 'pos' : '2',\n"),  # duplicate keys: the last one counts
        (b"'segments' : [", b"'segments' : [NaN"),  # NaN where nothing is read
        (b"'driverName' : 'FELIX KOEGLER',", b"'driverName' : 'FELIX-KOEGLER',"),
        (b"'driverName' : 'FELIX KOEGLER',", b"'driverName' : '-FELIX KOEGLER',"),
        (b"'top2Consecutive' : '74.504',", b"'top2Consecutive' : -0,"),
        (b"'top2Consecutive' : '74.504',", b""),  # a stat missing
    ],
)
def test_a_block_in_other_shapes_reads_alike_both_ways(liverc, monkeypatch, old, new) -> None:
    page = liverc[REAL_RACE]
    assert old in page.body
    body = page.body.replace(old, new, 1)
    served, general = _both_ways(body, page.url, monkeypatch)
    assert repr(served.items) == repr(general.items)
    assert served.problems == general.problems


_NUMBERISH = st.text(alphabet="0123456789.eE+-_ naNifIty", max_size=30)


@given(_NUMBERISH)
def test_a_lap_time_msgspec_reads_from_a_string_is_what_float_reads(text: str) -> None:
    lap = '{"lapNum": "1", "pos": "1", "pace": "", "time": "%s"}' % text
    try:
        (read,) = racer_laps_served._DECODER.decode('{"laps": [%s]}' % lap).laps
    except ValueError:
        return  # refused: the general path reads it
    if text.startswith("-"):
        return  # the served path sends such a page the general way (see the module docstring)
    assert repr(read.time) == repr(float(text))
