"""Generated pages whose data is built by JavaScript, as some LiveRC tracks serve them (issue 11).

:func:`script_race` takes a generated race page and moves its results rows and its ``racerLaps``
lap-data script into one script that puts them back into the DOM when the page loads;
:func:`script_practice_day` does the same with a practice day's session rows. Plain HTTP then gets
a results table without lap data, or an empty session list whose Practice Stats panel counts laps:
the two cases :mod:`mre_crawler.render` renders in chromium. The payload is base64, so the static
page carries no ``racerLaps[`` and no row markup for a parser to find.
"""

from __future__ import annotations

import base64
import re

_RACER_LAPS = re.compile(r'<script type="text/javascript">\nvar racerLaps = \{\};.*?</script>\n', re.DOTALL)
_TBODY = r'(<table class="[^"]*\b{cls}\b[^"]*"[^>]*>.*?<tbody>\n)(.*?)(</tbody>)'


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _builder(statements: str) -> str:
    decode = "function d(b){return new TextDecoder().decode(Uint8Array.from(atob(b),function(c){return c.charCodeAt(0);}));}"
    return f'<script type="text/javascript">\n(function(){{{decode}{statements}}})();\n</script>\n'


def _take_rows(html: str, cls: str) -> tuple[str, str]:
    match = re.search(_TBODY.format(cls=cls), html, re.DOTALL)
    if match is None:
        raise ValueError(f"no table.{cls} with a tbody")
    return html[:match.start(2)] + html[match.end(2):], match.group(2)


def script_race(html: str) -> str:
    """The race page with its results rows and lap data built by a script at load time."""
    html, rows = _take_rows(html, "race_result")
    laps = _RACER_LAPS.search(html)
    if laps is None:
        raise ValueError("no racerLaps script")
    code = laps.group(0)[len('<script type="text/javascript">\n'):-len("</script>\n")]
    html = html[:laps.start()] + html[laps.end():]
    statements = (
        f"document.querySelector('table.race_result tbody').innerHTML=d('{_b64(rows)}');"
        f"var s=document.createElement('script');s.type='text/javascript';s.text=d('{_b64(code)}');"
        "document.querySelector('table.race_result').parentNode.parentNode.insertBefore(s,"
        "document.querySelector('table.race_result').parentNode);"
    )
    return html.replace("</body>", _builder(statements) + "</body>", 1)


def script_practice_day(html: str) -> str:
    """The practice day overview with its session rows built by a script at load time."""
    html, rows = _take_rows(html, "practice_session_list")
    statements = f"document.querySelector('table.practice_session_list tbody').innerHTML=d('{_b64(rows)}');"
    return html.replace("</body>", _builder(statements) + "</body>", 1)
