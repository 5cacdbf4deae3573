"""One JavaScript data reader for every page: lap data written loosely (unquoted keys, single quotes,
line breaks, trailing commas, comments) gives exactly the items of the compact form LiveRC serves.

The loose copies are made here at run time from the real pages (../shared/liverc, never copied
into the project) and from generated pages; nothing loose is saved.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mre_crawler import jsliteral
from mre_crawler.benchmarks.loose_js import dumps_loose, loosen_page
from mre_crawler.jsliteral import JSLiteralError, decode_at, raw_decode
from mre_crawler.parsers import parser_for
from mre_crawler.parsers.ids import ids_from_url


def _parse(page_type: str, body: bytes, url: str):
    meta = {"track_slug": "t", "event_id": 1, "race_id": 1, "points_id": 1, "session_id": 1, **ids_from_url(url)}
    return parser_for(page_type)(body, url, meta)


def _assert_loose_is_loose(loose: bytes, marker: bytes) -> None:
    """The rewrite really is the loose form: otherwise these tests would compare a page with itself."""
    at = loose.index(marker)
    chunk = loose[at : min(at + 600, loose.index(b";", at))]  # inside the first literal
    assert b"\n" in chunk and b"// " in chunk and b",\n" in chunk and b"'" in chunk
    assert b'"' not in chunk, "keys and strings must be unquoted / single-quoted"


@pytest.mark.parametrize(
    ("file", "marker"),
    [
        ("practice-session-21289501.html", b"lapsObj"),
        ("race-6304829.html", b"racerLaps["),
        ("race-6304830.html", b"racerLaps["),
        ("practice-day-overview-canberraoffroad-2025-10-25.html", b"var data"),
    ],
)
def test_real_page_rewritten_loosely_gives_exactly_the_original_items(liverc, file: str, marker: bytes) -> None:
    page = liverc[file]
    original = _parse(page.page_type, page.body, page.url)
    loose_body = loosen_page(page.body)
    _assert_loose_is_loose(loose_body, marker)
    loose = _parse(page.page_type, loose_body, page.url)
    assert loose.items == original.items
    assert [(p.field, p.reason) for p in loose.problems] == [(p.field, p.reason) for p in original.problems]


def test_real_practice_session_loose_keeps_every_lap_end_time(liverc) -> None:
    """The bug this fixes: lapsObj with unquoted keys lost every lap's end_local."""
    page = liverc["practice-session-21289501.html"]
    session = _parse(page.page_type, loosen_page(page.body), page.url).items[0]
    assert len(session.laps) == 5
    assert all(lap.end_local is not None for lap in session.laps)
    assert session.laps[0].end_local.isoformat() == "2025-10-25T14:44:10"


@pytest.fixture(scope="module")
def generated_pages(tmp_path_factory) -> list[tuple[str, str, bytes]]:
    from mre_crawler.samplesite import generate

    pages = []
    for seed in (3, 11):
        out = tmp_path_factory.mktemp(f"site{seed}")
        generate(out, tracks=1, events=1, seed=seed, practice_days=1)
        with open(out / "manifest.tsv", newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh, delimiter="\t"):
                if len(row) >= 3 and row[2] in ("race_result", "practice_session", "practice_day_overview"):
                    pages.append((row[2], row[1], (out / row[0]).read_bytes()))
    return pages


def test_generated_pages_in_both_forms_give_the_same_items(generated_pages) -> None:
    kinds = {page_type for page_type, _, _ in generated_pages}
    assert kinds == {"race_result", "practice_session", "practice_day_overview"}
    for page_type, url, body in generated_pages:
        loose_body = loosen_page(body)
        assert loose_body != body, url
        original, loose = _parse(page_type, body, url), _parse(page_type, loose_body, url)
        assert original.items and loose.items == original.items, url
        assert len(loose.problems) == len(original.problems), url


# Every fast reader decode_at tries either agrees with the full decoder or refuses.
_FORMS = [
    "{ 'driverName' : 'FELIX KOEGLER', 'laps' : [ {'lapNum' : '0'}, ], }",
    r"{'driverName' : 'MATTHEW O\'LOUGHLIN'}",
    '{driverName: "FELIX KOEGLER", fastLap: "37.234", laps: [{lapNum: "1",},],}',
    "{'n': -1.5e3, 'h': 0x1F, 'i': 42, 'f': .5, 'p': +3}",
    "{a: true, b: false, c: null, d: undefined}",  # undefined: not JSON5
    r"{'e': '\u00e9\x41\u{1F600}\ud83d\ude00'}",  # \u{...}: not JSON5
    r"{'esc': 'tab\there\nnew \\ back \/ slash \0'}",
    "{'cont': 'line\\\ncontinued'}",
    "{'brace': '};{[', 'semi': ';'}",  # the first '};' lies inside a string
    "{ /* a }; b */ a: 1, // c };\n b: 2 }",  # ... or inside a comment
    "{1: 'one', 'two': 2}",  # numeric keys: not JSON5
    "[{'x': '1'}, {x: '2',},]",
    '[{"x":"1","date_time_display":"10\\/25\\/2025 2:44:10pm"}]',
    "{'a': '\\1'}",  # octal: refused by all
    "{'a': 'two\nlines'}",  # raw line break in a string: refused by all
    "{a: 1",
    "{a: Infinity, b: -Infinity, c: +Infinity, Infinity: null}",  # JSON5 reads these too
    "{$a_b: 1, \u00e9t\u00e9: 2, _x: 3}",  # non-ASCII identifier keys are JavaScript and JSON5
    "{a: 1, a: 2}",  # the last of a repeated key wins, as in JavaScript
]


@pytest.mark.parametrize("source", _FORMS)
def test_decode_at_agrees_with_the_full_decoder(source: str) -> None:
    text = source + ";\n"
    try:
        expected = raw_decode(text)
    except JSLiteralError:
        with pytest.raises(JSLiteralError):
            decode_at(text)
        return
    assert decode_at(text) == expected


def test_loose_race_literal_is_read_by_the_c_decoder_not_the_regex_one() -> None:
    """Speed: the pretty-printed form must not fall through to the per-token decoder."""
    value = {"driverName": "A O'B", "laps": [{"lapNum": str(i), "time": f"{30 + i}.123"} for i in range(50)]}
    text = dumps_loose(value) + ";"
    assert jsliteral._loose_form(text, 0, jsliteral._STATEMENT_END_BY_OPENER["{"]) == (value, len(text) - 1)
