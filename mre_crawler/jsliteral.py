"""Decode JavaScript object literals, as LiveRC writes them into race pages.

LiveRC's race pages carry one ``racerLaps[<driver id>] = {...};`` statement per driver
(FIELD-GUIDE §5.3). The object is JavaScript, not JSON: single-quoted strings (an apostrophe is
written ``\\'``: ``'MATTHEW O\\'LOUGHLIN'``), a trailing comma after the last lap, and, in copies
passed through an HTML formatter, unquoted keys and double quotes. ``json.loads`` fails on it and
swapping quote characters corrupts names, so this module reads it as JavaScript:

- :func:`loads` decodes one literal (objects, arrays, single/double-quoted strings with every JS
  escape, numbers incl. hex/exponent, ``true``/``false``/``null``/``undefined``, unquoted keys,
  trailing commas, ``//`` and ``/* */`` comments).
- :func:`raw_decode` decodes the literal starting at a position and says where it ended, which is
  how :func:`find_assignments` finds every ``racerLaps[<id>] = {...};`` block: the decoder itself
  walks the braces, so a ``}`` or ``;`` inside a string never ends a block early.

The decoder is a single compiled token regex driven by an explicit stack (no recursion, no
per-character Python loop): a race page's ~600 laps decode in a few milliseconds.

:func:`decode_at` is the one entry every parser uses for data embedded in a page's scripts (race
``racerLaps``, practice ``lapsObj``, the practice day's chart ``data``). It tries, in order, the
C-speed readers that are provably exact on the text in front of them and falls back to the full
decoder only when they refuse: ``json`` (strict JSON, as lapsObj is served), the quote swap of
:func:`_served_form` (racerLaps as served), then ``pyjson5`` (JSON5: unquoted keys, single quotes,
line breaks, trailing commas, comments, as pages saved by a browser or re-indented are written).
JSON5 has no ``undefined``, ``\\u{...}`` escapes or numeric keys; such text goes on to the full
decoder, which reads all of JavaScript's literal forms. A pretty-printed race page decoded by the
full decoder alone was 5.8x slower than the served form (about 11,000 regex calls per page).

``chompjs`` (a C extension for the same job) was evaluated: it is about 10x faster but rejects
valid JS escapes (``\\x41``, a backslash-newline line continuation), and a parser that rejects
valid pages is worse than a slower one that reads them; it is also not a dependency of the
project. See the report in /work/notes/parsers-results.md.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyjson5

from mre_crawler import strict_json


class JSLiteralError(ValueError):
    """The text is not a JavaScript literal this decoder reads; says where."""

    def __init__(self, message: str, text: str, pos: int):
        self.pos = pos
        line = text.count("\n", 0, pos) + 1
        snippet = text[max(0, pos - 30) : pos + 30].replace("\n", "\\n")
        super().__init__(f"{message} at line {line}, char {pos}: ...{snippet}...")


# Whitespace and comments between tokens. Possessive (``*+``): no token starts with whitespace or
# ``/``, so giving characters back can never help; with a plain ``*`` the nested ``\s+`` made a
# failed match retry every split of a whitespace run (2^n steps: one stray character after
# LiveRC's 30-character indentation hung the decoder).
_SKIP = r"(?:\s+|//[^\n]*|/\*.*?\*/)*+"
_TOKEN = re.compile(
    _SKIP
    + r"""(?:
        (?P<p>[{}\[\],:])
      | '(?P<sq>[^'\\\n]*(?:\\[\s\S][^'\\\n]*)*)'
      | "(?P<dq>[^"\\\n]*(?:\\[\s\S][^"\\\n]*)*)"
      | (?P<num>[+-]Infinity|[+-]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))(?![\w$])
      | (?P<id>(?:[^\W\d]|\$)[\w$]*)
    )""",
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[0-7](?![0-9])|[\s\S])")
_SIMPLE_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "0": "\0",
    # A backslash before a line break is a line continuation: both vanish.
    "\n": "",
    "\r": "",
    "\r\n": "",
    "\u2028": "",
    "\u2029": "",
}
_IDENTS: dict[str, Any] = {
    "true": True,
    "false": False,
    "null": None,
    "undefined": None,
    "NaN": float("nan"),
    "Infinity": float("inf"),
}
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(m: re.Match[str]) -> str:
    esc = m.group(1)
    first = esc[0]
    if first == "u":
        code = int(esc[2:-1] if esc[1] == "{" else esc[1:], 16)
        if code > 0x10FFFF:
            raise ValueError(f"code point out of range: \\{esc}")
        return chr(code)
    if first == "x":
        return chr(int(esc[1:], 16))
    simple = _SIMPLE_ESCAPES.get(esc)
    if simple is not None:
        return simple
    if first in "1234567":
        # Legacy octal escapes are a syntax error in strict JS; reading them as the digit would
        # silently change the text, so refuse.
        raise ValueError(f"octal escape \\{esc} is not supported")
    return esc  # \' \" \\ \/ and any other character stand for themselves


def unescape(body: str) -> str:
    """The value of a JS string literal's body (the text between the quotes)."""
    if "\\" not in body:
        return body
    text = _ESCAPE.sub(_escape, body)
    if _SURROGATE.search(text):
        # "\ud83d\ude00" written as two escapes: join the surrogate pair into one character.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16")
    return text


def _number(text: str) -> int | float:
    sign = -1 if text[0] == "-" else 1
    digits = text.lstrip("+-")
    if digits == "Infinity":
        return sign * float("inf")
    if digits[:2] in ("0x", "0X"):
        return sign * int(digits[2:], 16)
    if "." in digits or "e" in digits or "E" in digits:
        return sign * float(digits)
    return sign * int(digits)


# Parser states: what the innermost container expects next.
_KEY_OR_END, _COLON, _VALUE, _COMMA_OR_END, _VALUE_OR_END = range(5)


def raw_decode(text: str, pos: int = 0) -> tuple[Any, int]:
    """Decode the literal that starts at ``pos`` (after optional whitespace); return (value, end)."""
    match = _TOKEN.match
    stack: list[tuple[Any, int]] = []  # (container, state); dict frames also hold the pending key
    keys: list[Any] = []
    container: Any = None
    state = _VALUE
    is_dict = False
    key: Any = None
    while True:
        m = match(text, pos)
        if m is None:
            if pos >= len(text) or not text[pos:].strip():
                raise JSLiteralError("unexpected end of text", text, pos)
            raise JSLiteralError("unexpected character", text, pos)
        pos = m.end()
        kind = m.lastgroup
        if kind == "p":
            ch = m.group("p")
            if ch == "{" or ch == "[":
                if state not in (_VALUE, _VALUE_OR_END):
                    raise JSLiteralError(f"unexpected {ch!r}", text, m.start("p"))
                if container is not None:
                    stack.append((container, _COMMA_OR_END))
                    keys.append(key if is_dict else None)
                if ch == "{":
                    container, state, is_dict = {}, _KEY_OR_END, True
                else:
                    container, state, is_dict = [], _VALUE_OR_END, False
                continue
            if ch == "}" or ch == "]":
                if (ch == "}") != is_dict or container is None or state not in (
                    _KEY_OR_END,
                    _COMMA_OR_END,
                    _VALUE_OR_END,
                ):
                    raise JSLiteralError(f"unexpected {ch!r}", text, m.start("p"))
                value = container
                if not stack:
                    return value, pos
                container, state = stack.pop()
                key = keys.pop()
                is_dict = isinstance(container, dict)
                if is_dict:
                    container[key] = value
                else:
                    container.append(value)
                continue
            if ch == ",":
                if state != _COMMA_OR_END:
                    raise JSLiteralError("unexpected ','", text, m.start("p"))
                state = _KEY_OR_END if is_dict else _VALUE_OR_END
                continue
            # ':'
            if state != _COLON:
                raise JSLiteralError("unexpected ':'", text, m.start("p"))
            state = _VALUE
            continue
        # a scalar token
        if kind == "sq" or kind == "dq":
            raw = m.group(kind)
            if "\\" in raw:
                try:
                    value = unescape(raw)
                except ValueError as exc:
                    raise JSLiteralError(str(exc), text, m.start(kind)) from None
            else:
                value = raw
        elif kind == "num":
            value = _number(m.group("num"))
        else:
            name = m.group("id")
            if state == _KEY_OR_END:
                value = name  # an unquoted key
            elif name in _IDENTS:
                value = _IDENTS[name]
            else:
                raise JSLiteralError(f"unknown name {name!r}", text, m.start("id"))
        if state == _KEY_OR_END:
            key = value if isinstance(value, str) else str(value)
            state = _COLON
        elif state == _VALUE or state == _VALUE_OR_END:
            if container is None:
                return value, pos
            if is_dict:
                container[key] = value
            else:
                container.append(value)
            state = _COMMA_OR_END
        else:
            raise JSLiteralError("unexpected value", text, m.start())


def loads(text: str) -> Any:
    """Decode one JavaScript literal; only whitespace, comments and one ``;`` may follow it."""
    value, end = raw_decode(text)
    rest = re.match(_SKIP + r";?" + _SKIP + r"\Z", text[end:], re.DOTALL)
    if rest is None:
        raise JSLiteralError("extra text after the literal", text, end)
    return value


@dataclass(frozen=True)
class Assignment:
    """One ``<name>[<index>] = <literal>;`` statement found in script text."""

    index: str  # the subscript as written: "346997"
    value: Any
    start: int  # offset of the statement in the text
    end: int  # offset just past the literal


@functools.lru_cache(maxsize=16)
def _assignment_head(name: str) -> re.Pattern[str]:
    """``name[<index>] =`` with the index quoted or bare (``racerLaps[346997] = ``)."""
    return re.compile(re.escape(name) + r"\[\s*(?:'([^']*)'|\"([^\"]*)\"|([\w$.-]+))\s*\]\s*=(?!=)\s*")


def find_assignments(text: str, name: str = "racerLaps") -> Iterator[Assignment]:
    """Every ``name[<index>] = {...}`` statement in ``text``, in order, each literal decoded.

    The literal's end is found by decoding it, so braces and semicolons inside strings are safe.
    A literal that does not decode raises :class:`JSLiteralError` naming the index.
    """
    head = _assignment_head(name)
    pos = 0
    while True:
        m = head.search(text, pos)
        if m is None:
            return
        index = m[m.lastindex]  # exactly one of the three index forms matched
        try:
            value, end = decode_at(text, m.end())
        except JSLiteralError as exc:
            raise JSLiteralError(f"{name}[{index}]: {exc.args[0].split(' at line')[0]}", text, exc.pos) from None
        yield Assignment(index, value, m.start(), end)
        pos = end


def find_served_assignments(text: str, name: str = "racerLaps") -> Iterator[Assignment]:
    """:func:`find_assignments`, reading each literal with :func:`decode_served_at`.

    Same assignments, same errors; only quicker on text written the way LiveRC serves racerLaps.
    """
    head = _assignment_head(name)
    pos = 0
    while True:
        m = head.search(text, pos)
        if m is None:
            return
        index = m[m.lastindex]
        try:
            value, end = decode_served_at(text, m.end())
        except JSLiteralError as exc:
            raise JSLiteralError(f"{name}[{index}]: {exc.args[0].split(' at line')[0]}", text, exc.pos) from None
        yield Assignment(index, value, m.start(), end)
        pos = end


_STATEMENT_END = re.compile(r"\}\s*;")
_TRAILING_COMMA = re.compile(r",\s*\]\s*\}\Z")


def served_json(text: str, start: int) -> tuple[str, int] | None:
    """The object at ``start`` rewritten as strict JSON, and where it ends; None unless that is
    provably exact.

    LiveRC serves each racerLaps object single-quoted, with one trailing comma after the last lap
    (``..., ]};``) and no escapes (race-6304829.html). When the text up to the first ``};`` holds
    no double quote and no backslash other than ``\\'``, every other ``'`` delimits a string, so
    swapping quote characters is exact (otherwise this returns None); the last ``,`` before
    ``]}`` at the very end lies outside any string because strings end with a quote. If the first
    ``};`` lay inside a string, the slice ends inside a string and a JSON reader rejects it.
    Anything a JSON reader rejects (unquoted keys, more trailing commas, comments) goes to the
    full decoder.
    """
    if not text.startswith("{", start):
        return None
    close = _statement_close(text, start)
    if close is None:
        return None
    block = text[start : close + 1]
    if '"' in block:
        return None
    escapes = block.count("\\") if "\\" in block else 0
    if escapes:
        # Only ``\'`` (an apostrophe in a name, 'MATTHEW O\'LOUGHLIN') is handled here: when every
        # backslash is followed by a quote, each is that escape, so it is parked on a character the
        # block does not hold while the quotes are swapped. Any other escape goes to the decoder.
        if escapes != block.count("\\'") or "\x00" in block:
            return None
        block = block.replace("\\'", "\x00")
    trailing = _TRAILING_COMMA.search(block, len(block) - 200 if len(block) > 200 else 0)
    if trailing is not None:
        block = block[: trailing.start()] + block[trailing.start() + 1 :]
    swapped = block.replace("'", '"')
    if escapes:
        swapped = swapped.replace("\x00", "'")
    return swapped, close + 1


def _statement_close(text: str, start: int) -> int | None:
    """Where the first ``}\\s*;`` at or after ``start`` begins (what ``_STATEMENT_END`` finds).

    LiveRC writes ``};``: when the first ``;`` follows a ``}``, that ``}`` starts the first match,
    since any match starting earlier would need its ``;`` later and only whitespace between,
    across that ``}``. A one-character search instead of the regex's try at every ``}`` of a
    block (one per lap).
    """
    semicolon = text.find(";", start)
    if semicolon > start and text[semicolon - 1] == "}":
        return semicolon - 1
    m = _STATEMENT_END.search(text, start)
    return None if m is None else m.start()


def _served_form(text: str, start: int) -> tuple[Any, int] | None:
    """Decode the object at ``start`` through :func:`strict_json.loads` (C speed) when
    :func:`served_json` can rewrite it exactly."""
    found = served_json(text, start)
    if found is None:
        return None
    try:
        value = strict_json.loads(found[0])
    except ValueError:
        return None
    return value, found[1]


_JSON = json.JSONDecoder()
_STATEMENT_END_BY_OPENER = {"{": re.compile(r"\}\s*;"), "[": re.compile(r"\]\s*;")}


def decode_at(text: str, pos: int = 0) -> tuple[Any, int]:
    """Decode the literal that starts at ``pos`` (no leading space); return (value, end).

    Every reader tried before the full decoder either gives the value the full decoder would
    give or refuses (tests/test_jsliteral.py compares them on every form), so the result never
    depends on which one read the text, only the time does.
    """
    opener = text[pos : pos + 1]
    if opener in ("{", "["):
        try:
            return _JSON.raw_decode(text, pos)
        except ValueError:
            pass
        if opener == "{":
            fast = _served_form(text, pos)
            if fast is not None:
                return fast
        loose = _loose_form(text, pos, _STATEMENT_END_BY_OPENER[opener])
        if loose is not None:
            return loose
    return raw_decode(text, pos)


def decode_served_at(text: str, pos: int = 0) -> tuple[Any, int]:
    """:func:`decode_at` with the readers in another order: the served form first.

    On a racerLaps object as served, :func:`decode_at`'s first reader (strict JSON) fails at the
    first single quote, and building its error message counts the line breaks of all the text
    before it (up to 130 KB on a race page, once per driver). Every reader gives the full
    decoder's value or refuses, so the order changes only the time.
    """
    opener = text[pos : pos + 1]
    if opener == "{":
        fast = _served_form(text, pos)
        if fast is not None:
            return fast
    if opener in ("{", "["):
        try:
            return _JSON.raw_decode(text, pos)
        except ValueError:
            pass
        loose = _loose_form(text, pos, _STATEMENT_END_BY_OPENER[opener])
        if loose is not None:
            return loose
    return raw_decode(text, pos)


def _loose_form(text: str, start: int, statement_end: re.Pattern[str]) -> tuple[Any, int] | None:
    """Decode the literal at ``start`` up to the first ``};`` (or ``];``) with ``pyjson5``.

    Inside a literal a ``;`` can only stand in a string or a comment, so the first closing
    bracket followed by ``;`` either ends the literal or lies in a string or comment; in the
    second case the slice ends inside that string or comment and is not valid JSON5, so the
    result is exact or None. None also for what JSON5 lacks (``undefined``, ``\\u{...}``,
    numeric keys, octal escapes): the full decoder reads or refuses those.
    """
    m = statement_end.search(text, start)
    if m is None:
        return None
    try:
        value = pyjson5.decode(text[start : m.start() + 1])
    except (pyjson5.Json5Exception, ValueError):
        return None
    return value, m.start() + 1
