"""Every text reader in parsers/common.py, table-driven, with the forms LiveRC prints."""

from __future__ import annotations

import datetime as dt

import lxml.html
import pytest

from mre_crawler.parsers import common
from mre_crawler.parsers.base import ParseContext


def _cell(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(html)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1/8 Nitro Buggy  (Heat 3/3)", "1/8 Nitro Buggy (Heat 3/3)"), ("  a \n\t b  ", "a b"), ("", ""), (None, ""), ("x\u00a0y", "x y")],
)
def test_clean(text, expected) -> None:
    assert common.clean(text) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<td><span class="hidden">BRATTON, RICHARD</span>RICHARD BRATTON</td>', ("BRATTON, RICHARD", "RICHARD BRATTON")),
        ('<td><div class="hidden">111.828</div>1:51.828</td>', ("111.828", "1:51.828")),
        ('<td><span class="hidden">2025-11-16 08:30:00</span>Nov 16, 2025</td>', ("2025-11-16 08:30:00", "Nov 16, 2025")),
        ('<td><div class="hidden"></div></td>', ("", "")),
        ('<td><span class="x hidden y">k</span><b>bold</b> tail</td>', ("k", "bold tail")),
        ("<td>plain 38.983</td>", (None, "plain 38.983")),
    ],
)
def test_split_hidden(html, expected) -> None:
    assert common.split_hidden(_cell(html)) == expected


@pytest.mark.parametrize(("text", "expected"), [("4,129", 4129), (" 71 ", 71), ("0", 0), ("-3", -3), ("230,327", 230327)])
def test_parse_int(text, expected) -> None:
    assert common.parse_int(text) == expected


@pytest.mark.parametrize("text", ["", "4.5", "x", "1 2", "nan"])
def test_parse_int_rejects(text) -> None:
    with pytest.raises(ValueError):
        common.parse_int(text)


@pytest.mark.parametrize(("text", "expected"), [("38.983", 38.983), ("2.80", 2.8), ("1,234.5", 1234.5), (".5", 0.5), ("7", 7.0)])
def test_parse_float(text, expected) -> None:
    assert common.parse_float(text) == expected


@pytest.mark.parametrize("text", ["", "nan", "inf", "1e5", "37.23.4", "1_000"])
def test_parse_float_rejects(text) -> None:
    with pytest.raises(ValueError):
        common.parse_float(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1:51.828", 111.828), ("30:31.382", 1831.382), ("1:02:03.5", 3723.5), ("56.135", 56.135), ("55", 55.0), ("0.000", 0.0), ("8:28", 508.0)],
)
def test_parse_duration(text, expected) -> None:
    assert common.parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "1:60.0", "1:75:00", "abc", "1:2:3:4", "-5", "12 secs"])
def test_parse_duration_rejects(text) -> None:
    with pytest.raises(ValueError):
        common.parse_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("47/30:31.382", (47, 1831.382, None)),
        ("13/8:33.797", (13, 513.797, None)),
        ("1/56.135 (DNF)", (1, 56.135, "DNF")),
        ("0/0.000 (DNS)", (0, 0.0, "DNS")),
        ("0", (0, None, None)),
        ("61/1:00:12.5", (61, 3612.5, None)),
    ],
)
def test_parse_laps_time(text, expected) -> None:
    assert common.parse_laps_time(text) == expected


@pytest.mark.parametrize("text", ["", "47/", "47/30:3x.382", "laps", "47-30:31.382"])
def test_parse_laps_time_rejects(text) -> None:
    with pytest.raises(ValueError):
        common.parse_laps_time(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12.052", (12.052, None)), ("1 Lap", (None, 1)), ("22 Laps", (None, 22)), ("0.000", (0.0, None)), ("1:02.500", (62.5, None))],
)
def test_parse_behind(text, expected) -> None:
    assert common.parse_behind(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("4:36:38pm", dt.time(16, 36, 38)), ("5:30pm", dt.time(17, 30)), ("12:05:00am", dt.time(0, 5)), ("12:00pm", dt.time(12, 0)), ("10:58:33AM", dt.time(10, 58, 33))],
)
def test_parse_clock(text, expected) -> None:
    assert common.parse_clock(text) == expected


@pytest.mark.parametrize("text", ["13:00pm", "0:30am", "5:30", "5:3pm", "25:30pm"])
def test_parse_clock_rejects(text) -> None:
    with pytest.raises(ValueError):
        common.parse_clock(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Nov 16, 2025", dt.date(2025, 11, 16)), ("October 25, 2025 (Saturday)", dt.date(2025, 10, 25)), ("Sat, Oct 25, 2025", dt.date(2025, 10, 25)), ("Sep 8, 2018", dt.date(2018, 9, 8))],
)
def test_parse_month_date(text, expected) -> None:
    assert common.parse_month_date(text) == expected


@pytest.mark.parametrize("text", ["2025-11-16", "Nov 31, 2025", "Foo 1, 2025", ""])
def test_parse_month_date_rejects(text) -> None:
    with pytest.raises(ValueError):
        common.parse_month_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nov 16, 2025", (dt.date(2025, 11, 16), dt.date(2025, 11, 16))),
        ("Apr 23, 2025 to Apr 27, 2025", (dt.date(2025, 4, 23), dt.date(2025, 4, 27))),
        ("Oct 15, 2017 to Dec 18, 2017", (dt.date(2017, 10, 15), dt.date(2017, 12, 18))),
    ],
)
def test_parse_date_range(text, expected) -> None:
    assert common.parse_date_range(text) == expected


@pytest.mark.parametrize("text", ["Apr 27, 2025 to Apr 23, 2025", "a to b to c", ""])
def test_parse_date_range_rejects(text) -> None:
    with pytest.raises(ValueError):
        common.parse_date_range(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Nov 16, 2025 at 5:30pm", dt.datetime(2025, 11, 16, 17, 30)), ("Nov 16, 2025 at 8:22am", dt.datetime(2025, 11, 16, 8, 22))],
)
def test_parse_at_datetime(text, expected) -> None:
    assert common.parse_at_datetime(text) == expected


@pytest.mark.parametrize("text", ["Nov 16, 2025", "Nov 16, 2025 at 25:30pm", "at 5:30pm"])
def test_parse_at_datetime_rejects(text) -> None:
    with pytest.raises(ValueError):
        common.parse_at_datetime(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2025-11-16 08:30:00", dt.datetime(2025, 11, 16, 8, 30)), ("2017-09-10 00:00:00", dt.datetime(2017, 9, 10))],
)
def test_parse_iso_stamp(text, expected) -> None:
    assert common.parse_iso_stamp(text) == expected


@pytest.mark.parametrize("text", ["2025-13-16 08:30:00", "2025-11-16", "Nov 16, 2025"])
def test_parse_iso_stamp_rejects(text) -> None:
    with pytest.raises(ValueError):
        common.parse_iso_stamp(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10/25/2025 2:44:10pm", dt.datetime(2025, 10, 25, 14, 44, 10)), ("1/2/2026 12:00:01am", dt.datetime(2026, 1, 2, 0, 0, 1))],
)
def test_parse_us_datetime(text, expected) -> None:
    assert common.parse_us_datetime(text) == expected


@pytest.mark.parametrize("text", ["25/10/2025 2:44:10pm", "2025-10-25 14:44:10", "10/25/2025"])
def test_parse_us_datetime_rejects(text) -> None:
    with pytest.raises(ValueError):
        common.parse_us_datetime(text)


@pytest.mark.parametrize(("text", "expected"), [("92.82%", 92.82), ("94.695%", 94.695), ("100", 100.0)])
def test_parse_percent(text, expected) -> None:
    assert common.parse_percent(text) == expected


def test_parse_percent_rejects() -> None:
    with pytest.raises(ValueError):
        common.parse_percent("92.8two%")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7 hours, 16 minutes, 45 seconds", 26205), ("1 hour", 3600), ("45 seconds", 45), ("2 minutes, 1 second", 121)],
)
def test_parse_spelled_duration(text, expected) -> None:
    assert common.parse_spelled_duration(text) == expected


def test_parse_spelled_duration_rejects() -> None:
    with pytest.raises(ValueError):
        common.parse_spelled_duration("a long time")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Race 14: 1/8 Nitro Buggy (1/8 Nitro Buggy A-Main)", (14, "1/8 Nitro Buggy", "1/8 Nitro Buggy A-Main")),
        ("Race 6: 1/8 Nitro Buggy (1/8 Nitro Buggy  (Heat 3/3))", (6, "1/8 Nitro Buggy", "1/8 Nitro Buggy (Heat 3/3)")),
        ("Race 9: Junior (Junior A-Main)", (9, "Junior", "Junior A-Main")),
        ("Race 2: 40+ (Old) Buggy (40+ (Old) Buggy  (Heat 1/2))", (2, "40+ (Old) Buggy", "40+ (Old) Buggy (Heat 1/2)")),
        ("1/8 Electric Buggy A3-Main", (None, "1/8 Electric Buggy A3-Main", "1/8 Electric Buggy A3-Main")),
    ],
)
def test_split_race_label(text, expected) -> None:
    assert common.split_race_label(text) == expected


def test_split_race_label_rejects_unbalanced_parentheses() -> None:
    with pytest.raises(ValueError):
        common.split_race_label("Race 1: Buggy Heat 1/3))")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("1/8 Nitro Buggy (Heat 3/3)", (3, 3)), ("1/8 Electric Buggy  (heat 1 / 2)", (1, 2)), ("1/8 Nitro Buggy A-Main", (None, None))],
)
def test_heat_of(name, expected) -> None:
    assert common.heat_of(name) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://canberraoffroad.liverc.com/events/", "canberraoffroad"),
        ("//FastandFunToyandHobby.liverc.com/", "fastandfuntoyandhobby"),
        ("https://live.liverc.com/", None),
        ("file:///tmp/x.html", None),
        ("https://example.com/", None),
    ],
)
def test_url_track_slug(url, expected) -> None:
    assert common.url_track_slug(url) == expected


@pytest.mark.parametrize(
    ("url", "key", "expected"),
    [("https://x.liverc.com/results/?p=view_event&id=486677", "id", "486677"), ("https://x.liverc.com/results/?id=1&id=2", "id", "2"), ("https://x.liverc.com/", "id", None)],
)
def test_url_query_value(url, key, expected) -> None:
    assert common.url_query_value(url, key) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<td>Entries: 71<br/>Drivers: 60</td>", ["Entries: 71", "Drivers: 60"]),
        ("<address><strong>Club</strong><br>Kyeema Street<br>Narrabundah 02604<br>Australia</address>", ["Club", "Kyeema Street", "Narrabundah 02604", "Australia"]),
        ("<td>one line</td>", ["one line"]),
    ],
)
def test_br_lines(html, expected) -> None:
    assert common.br_lines(_cell(html)) == expected


@pytest.mark.parametrize(
    ("meta", "url", "expected", "problems"),
    [
        ({"track_slug": "CanberraOffroad"}, "file:///x", "canberraoffroad", 0),
        ({}, "https://bayrc.liverc.com/", "bayrc", 0),
        ({}, "file:///x", "", 1),
    ],
)
def test_page_track_slug(meta, url, expected, problems) -> None:
    ctx = ParseContext("track_events", url, meta)
    assert common.page_track_slug(ctx) == expected
    assert len(ctx.problems) == problems


@pytest.mark.parametrize(
    ("meta", "url", "expected", "problems"),
    [
        ({"event_id": 486677}, "file:///x", 486677, 0),
        ({}, "https://x.liverc.com/results/?p=view_entry_list&id=486677", 486677, 0),
        ({}, "https://x.liverc.com/results/?p=view_entry_list&id=UNKNOWN", None, 1),
        ({}, "file:///x", None, 1),
    ],
)
def test_page_id(meta, url, expected, problems) -> None:
    ctx = ParseContext("entry_list", url, meta)
    assert common.page_id(ctx, "event_id") == expected
    assert len(ctx.problems) == problems
