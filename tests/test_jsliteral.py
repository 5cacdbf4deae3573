"""The JavaScript literal decoder reads LiveRC's racerLaps blocks as JavaScript, not as JSON."""

from __future__ import annotations

import ast
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mre_crawler.jsliteral import JSLiteralError, find_assignments, loads, unescape


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # the served form: single quotes, " : " separators, a trailing comma after the last lap
        ("{ 'driverName' : 'FELIX KOEGLER', 'laps' : [ {'lapNum' : '0'}, ], }", {"driverName": "FELIX KOEGLER", "laps": [{"lapNum": "0"}]}),
        # an apostrophe escaped inside a single-quoted string (race 6304825 per third-party notes)
        (r"{'driverName' : 'MATTHEW O\'LOUGHLIN'}", {"driverName": "MATTHEW O'LOUGHLIN"}),
        # a reformatted copy: unquoted keys, double quotes, trailing commas, no semicolon
        ('{driverName: "FELIX KOEGLER", fastLap: "37.234", laps: [{lapNum: "1",},],}', {"driverName": "FELIX KOEGLER", "fastLap": "37.234", "laps": [{"lapNum": "1"}]}),
        ('{"a": "say \\"hi\\""}', {"a": 'say "hi"'}),
        ("{'a': \"it's\"}", {"a": "it's"}),
        ("[[1, [2, [3,]],], []]", [[1, [2, [3]]], []]),
        ("{'n': -1.5e3, 'h': 0x1F, 'i': 42, 'f': .5, 'p': +3}", {"n": -1500.0, "h": 31, "i": 42, "f": 0.5, "p": 3}),
        ("{a: true, b: false, c: null, d: undefined}", {"a": True, "b": False, "c": None, "d": None}),
        ("{'name': 'Zoë 日本 Ünïcode'}", {"name": "Zoë 日本 Ünïcode"}),
        (r"{'e': '\u00e9\x41\u{1F600}\ud83d\ude00'}", {"e": "éA😀😀"}),
        (r"{'esc': 'tab\there\nnew \\ back \/ slash \0'}", {"esc": "tab\there\nnew \\ back / slash \0"}),
        ("{'cont': 'line\\\ncontinued'}", {"cont": "linecontinued"}),
        ("{'brace': '};{[', 'semi': ';'}", {"brace": "};{[", "semi": ";"}),
        ("{ /* block */ a: 1, // line comment\n b: 2 }", {"a": 1, "b": 2}),
        ("{1: 'one', 'two': 2}", {"1": "one", "two": 2}),
        ("'just a string';", "just a string"),
        ("{}", {}),
    ],
)
def test_loads_reads_javascript_literals(source: str, expected: object) -> None:
    assert loads(source) == expected


def test_loads_reads_nan_and_infinity_as_javascript_does() -> None:
    value = loads("[NaN, Infinity, -1]")
    assert math.isnan(value[0]) and value[1] == math.inf and value[2] == -1


@pytest.mark.parametrize(
    "source",
    [
        "{a: 1",  # unterminated object
        "{a 1}",  # missing colon
        "[1,,2]",  # elision
        "{'a': 'x}",  # unterminated string
        "{a: foo}",  # an unknown name is code, not data
        "{'a': 1} x",  # extra text
        "{'a': 1]",  # mismatched bracket
        "{'a': '\\1'}",  # legacy octal escape would silently change the text
        "{'a': 'two\nlines'}",  # a raw line break cannot sit inside a JS string
        "",
    ],
)
def test_loads_rejects_what_is_not_a_literal(source: str) -> None:
    with pytest.raises(JSLiteralError):
        loads(source)


def test_unescape_leaves_plain_text_alone() -> None:
    assert unescape("FELIX KOEGLER") == "FELIX KOEGLER"
    assert unescape(r"O\'LOUGHLIN") == "O'LOUGHLIN"


def test_find_assignments_reads_every_racer_laps_block_of_a_real_page(liverc) -> None:
    text = liverc["race-6304829.html"].body.decode("utf-8")
    blocks = list(find_assignments(text, "racerLaps"))
    assert [b.index for b in blocks][:2] == ["346997", "298958"]
    assert len(blocks) == 12
    # ast.literal_eval reads the served form unchanged (FIELD-GUIDE §5.3): an independent check.
    served = re.findall(r"racerLaps\[(\d+)\] = (\{.*?\});\s*\n", text, re.S)
    assert [b.value for b in blocks] == [ast.literal_eval(src) for _, src in served]
    winner = blocks[0].value
    assert winner["driverName"] == "FELIX KOEGLER"
    assert len(winner["laps"]) - 1 == 47  # lap 0 is the grid entry
    assert winner["laps"][0] == {"lapNum": "0", "pos": "1", "time": "0", "pace": "0", "segments": []}


def test_find_assignments_survives_braces_semicolons_and_escapes_in_strings() -> None:
    script = (
        "var racerLaps = {};\n"
        "racerLaps[1] = { 'driverName' : 'A };{ B', 'laps' : [ {'lapNum' : '0',}, ], };\n"
        "console.log(racerLaps[1]);\n"
        "racerLaps[2] = { 'driverName' : 'MATTHEW O\\'LOUGHLIN', 'laps' : [ ], };\n"
        "racerLaps[3] = {driverName: \"C \\\"D\\\"\", laps: []}\n"
    )
    blocks = list(find_assignments(script))
    assert [(b.index, b.value["driverName"]) for b in blocks] == [
        ("1", "A };{ B"),
        ("2", "MATTHEW O'LOUGHLIN"),
        ("3", 'C "D"'),
    ]
    assert blocks[0].value["laps"] == [{"lapNum": "0"}]


def test_find_assignments_names_the_block_that_does_not_decode() -> None:
    with pytest.raises(JSLiteralError, match=r"racerLaps\[7\]"):
        list(find_assignments("racerLaps[7] = { 'a' : oops };"))


@pytest.mark.parametrize(
    "block",
    [
        "{ 'driverName' : 'FELIX KOEGLER', 'laps' : [ {'lapNum' : '0', 'segments' : [ ]}, {'lapNum' : '1', 'segments' : [ ]}, ] };",
        "{ 'driverName' : 'MATTHEW O\\'LOUGHLIN', 'laps' : [ ], };",
        "{ 'driverName' : 'A \\'};\\' B', 'laps' : [ ] };",  # a statement end inside an escaped string
        "{ 'driverName' : 'BACK\\\\', 'laps' : [ ] };",  # an escaped backslash before the closing quote
        "{ 'driverName' : 'TAB\\tX', 'laps' : [ ], };",
        '{ driverName : "X", laps : [ ], };',
    ],
)
def test_the_json_shortcut_agrees_with_the_full_decoder(block: str) -> None:
    # find_assignments takes a json shortcut for the served form; whatever path a block takes,
    # the value must be what the JavaScript decoder reads.
    from mre_crawler.jsliteral import raw_decode

    (found,) = list(find_assignments("racerLaps[5] = " + block))
    assert found.value == raw_decode(block)[0]


@pytest.mark.parametrize(
    "source",
    [
        # One stray character after a long run of LiveRC-style indentation. The whitespace skipper
        # once retried every split of the run on failure (2^n steps): these never returned.
        "{'a': '1'," + "\n" + "\t" * 60 + "<}",
        "{'a': '1'}" + "\t" * 60 + "x",
    ],
)
def test_a_stray_character_after_long_indentation_is_rejected_at_once(source: str) -> None:
    with pytest.raises(JSLiteralError):
        loads(source)


def test_a_stray_character_in_a_racer_laps_block_names_the_block() -> None:
    text = "racerLaps[346997] = {\n" + "\t" * 60 + "'laps' : [\n" + "\t" * 60 + "#\n" + "\t" * 60 + "]\n};"
    with pytest.raises(JSLiteralError, match=r"racerLaps\[346997\]"):
        list(find_assignments(text))


@given(st.text(alphabet="{}; \t\n'a", max_size=40))
def test_the_statement_close_is_where_the_statement_end_pattern_matches(tail: str) -> None:
    from mre_crawler.jsliteral import _STATEMENT_END, _statement_close

    text = "{" + tail
    m = _STATEMENT_END.search(text, 0)
    assert _statement_close(text, 0) == (None if m is None else m.start())
