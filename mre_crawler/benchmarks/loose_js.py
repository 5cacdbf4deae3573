"""Rewrite a page's embedded lap data in the loose JavaScript form, for tests and ``mre bench parse``.

Browsers' "save page" and re-indenting servers write the same data as LiveRC's compact form with
unquoted keys, single quotes, one key per line, trailing commas and comments. :func:`loosen_page`
turns a served page into that form: every ``racerLaps[<id>] = {...}``, ``var lapsObj = [...]`` and
``var data = [...]`` literal is decoded and written back loosely; nothing else on the page changes.
The rewrite happens at run time: no loose copy of a real page is saved anywhere.
"""

from __future__ import annotations

import re
from typing import Any

from mre_crawler.jsliteral import decode_at, find_assignments

_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*\Z")
_VARS = re.compile(r"var\s+(?:lapsObj|data)\s*=\s*")


def _string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r") + "'"


def dumps_loose(value: Any, indent: int = 0) -> str:
    """``value`` as pretty-printed JavaScript: unquoted keys where legal, single quotes, a line per
    key or item, a trailing comma after every last item and a comment in every non-empty object."""
    pad, inner = "    " * indent, "    " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        lines = [f"{inner}// {len(value)} keys"]
        for key, item in value.items():
            name = key if _IDENTIFIER.match(key) and key not in ("undefined", "NaN", "Infinity") else _string(key)
            lines.append(f"{inner}{name}: {dumps_loose(item, indent + 1)},")
        return "{\n" + "\n".join(lines) + f"\n{pad}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + "\n".join(f"{inner}{dumps_loose(item, indent + 1)}," for item in value) + f"\n{pad}]"
    if isinstance(value, str):
        return _string(value)
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    return repr(value)


def loosen_script(code: str) -> str:
    """The script text with its racerLaps, lapsObj and chart data literals written loosely."""
    spans: list[tuple[int, int, str]] = []
    for assignment in find_assignments(code, "racerLaps"):
        literal_start = code.index("=", assignment.start) + 1
        while code[literal_start].isspace():
            literal_start += 1
        spans.append((literal_start, assignment.end, dumps_loose(assignment.value)))
    for m in _VARS.finditer(code):
        value, end = decode_at(code, m.end())
        spans.append((m.end(), end, dumps_loose(value)))
    out, pos = [], 0
    for start, end, text in sorted(spans):
        out.append(code[pos:start])
        out.append(text)
        pos = end
    out.append(code[pos:])
    return "".join(out)


def loosen_page(body: bytes) -> bytes:
    """The page with each embedded lap-data literal in the loose form (see the module doc)."""
    return loosen_script(body.decode("utf-8")).encode("utf-8")
