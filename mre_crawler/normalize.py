"""Pure normalization of names LiveRC prints in different forms (shared by the crawl pipelines,
the store and practice ingestion).

Race and points pages print drivers in UPPER CASE (``FELIX KOEGLER``), entry lists add a hidden
``LAST, FIRST`` (``BRATTON, RICHARD``), practice pages use Mixed Case (``Conor Merrigan``)
(FIELD-GUIDE §12.11). Class names differ by case and separator (``1/10 Buggy``, ``1/10 buggy``,
``1-10 Buggy``). The raw text is always kept next to these derived forms.

- :func:`clean_text`: whitespace runs collapsed, typographic apostrophes made plain.
- :func:`driver_display_name`: a readable name (``Felix Koegler``, ``Shane O'Connor``).
- :func:`driver_name_key`: the matching key (``felix koegler``, ``shane o'connor``): case-folded,
  accents kept, apostrophes unified, whitespace collapsed.
- :func:`class_key`: the class matching key (``1/10 buggy``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_SPACE = re.compile(r"\s+")
# A scale like "1/10", "1-10", "1:10", "1 / 10" or "1_10" at a word boundary.
_SCALE = re.compile(r"(?<![\w.])1\s*[-/:_]\s*(\d{1,2})(?!\d)")
_SEPARATORS = re.compile(r"[\s_]+")
# The same names and classes come back on every page of a track: each function is pure (str in,
# str out), so its answers are kept (a store of a race page asks about a dozen names).
_cached = lru_cache(maxsize=1 << 16)


@_cached
def clean_text(text: str | None) -> str | None:
    """Collapse whitespace and unify apostrophes; ``None``/blank stays ``None``."""
    if text is None:
        return None
    text = _SPACE.sub(" ", unicodedata.normalize("NFC", text).translate(_APOSTROPHES)).strip()
    return text or None


@_cached
def driver_name_key(name: str | None) -> str | None:
    """The key that makes ``FELIX KOEGLER``, ``Felix  Koegler`` and ``felix koegler`` one name."""
    text = clean_text(name)
    return text.casefold() if text else None


@_cached
def driver_display_name(name: str | None) -> str | None:
    """A readable form: all-caps or all-lower names become Title Case; mixed case is kept.

    ``SHANE O'CONNOR`` -> ``Shane O'Connor``; ``BOB WALKER 3RD`` -> ``Bob Walker 3rd``;
    ``McDONALD`` (mixed) stays as printed.
    """
    text = clean_text(name)
    if not text:
        return None
    if text.isupper() or text.islower():
        return _title(text)
    return text


def _title(text: str) -> str:
    def word(w: str) -> str:
        # Capitalize after apostrophes and hyphens too: O'Connor, Smith-Jones.
        return re.sub(r"(^|['\-])([^\W\d_])", lambda m: m.group(1) + m.group(2).upper(), w.lower())

    return " ".join(word(w) for w in text.split(" "))


@_cached
def class_key(class_name: str | None) -> str | None:
    """``1/10 Buggy``, ``1/10 buggy``, ``1-10 Buggy`` and ``1:10  BUGGY`` -> ``1/10 buggy``."""
    text = clean_text(class_name)
    if not text:
        return None
    text = _SCALE.sub(lambda m: f"1/{m.group(1)}", text.casefold())
    return _SEPARATORS.sub(" ", text).strip()
