"""The contract every page parser follows.

A parser is a pure function ``parse(body: bytes, url: str, meta: Mapping) -> ParseResult``:
no network, no database. ``meta`` carries the ids the page does not show itself (``track_slug``,
``event_id``, ``race_id``, ``session_id``); where absent, parsers fall back to what the URL says.

- A value that cannot be read becomes ``None`` plus a :class:`ParseProblem` (via ``ctx.read``).
- A row that cannot be read is skipped with a problem; the other rows are kept (``ctx.row``).
- A page that is not the expected type raises :class:`WrongPageType`; a page whose layout is
  gone (no results table at all) raises :class:`PageError`; a page whose rows contradict its own
  header, totals or lap data raises :class:`IncompletePage` (``ctx.incomplete``): it is not whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import lxml.html

from mre_crawler.errors import IncompletePage, PageError, ParseProblem

T = TypeVar("T")


@dataclass
class ParseResult:
    page_type: str
    url: str
    items: list[Any] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)

    @property
    def item(self) -> Any:
        """The single page-level item (for page types that produce exactly one)."""
        if len(self.items) != 1:
            raise ValueError(f"{self.page_type} produced {len(self.items)} items, not one")
        return self.items[0]


class RowSkipped(Exception):
    """Raised inside ``ctx.row(...)`` to drop one row; the problem is recorded by the context."""


class ParseContext:
    """Collects problems while a parser reads one page."""

    def __init__(self, page_type: str, url: str, meta: Mapping[str, Any] | None = None):
        self.page_type = page_type
        self.url = url
        self.meta: Mapping[str, Any] = meta or {}
        self.problems: list[ParseProblem] = []

    def problem(self, field_name: str, text: str | None, reason: str) -> None:
        self.problems.append(ParseProblem(self.page_type, self.url, field_name, text, reason))

    def read(
        self,
        field_name: str,
        text: str | None,
        convert: Callable[[str], T],
        *,
        required: bool = False,
    ) -> T | None:
        """Convert ``text``; empty text is ``None`` (LiveRC leaves cells empty on purpose).

        A conversion error records a problem naming the field and the raw text, and gives None.
        ``required`` also records a problem when the text is empty or missing.
        """
        if text is None or not text.strip():
            if required:
                self.problem(field_name, text, "missing")
            return None
        try:
            return convert(text.strip())
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            self.problem(field_name, text, f"unreadable: {exc}")
            return None

    def row(self, field_name: str, raw_text: Callable[[], str | None] | str | None = None) -> _Row:
        """Read one row (``with ctx.row(...):``); any error drops only that row and records why."""
        return _Row(self, field_name, raw_text)

    def fail(self, reason: str, field_name: str | None = None) -> PageError:
        return PageError(self.page_type, self.url, reason, field_name)

    def incomplete(self, reason: str, field_name: str | None = None) -> IncompletePage:
        """The page is not whole: its rows contradict its own header, totals or lap data.

        Raised, not recorded: storing such a page would mark good rows removed (issue 9)."""
        return IncompletePage(self.page_type, self.url, f"not whole: {reason}", field_name)

    def result(self, items: list[Any]) -> ParseResult:
        return ParseResult(self.page_type, self.url, items, self.problems)


# The exceptions ``ctx.row`` turns into a skipped row (``_Row.__exit__``); any other propagates. A
# parser reading many rows may run each in a plain ``try`` and enter ``ctx.row`` only for a row
# that raised one of these (re-raising inside it), which records the same problem.
ROW_ERRORS = (RowSkipped, ValueError, TypeError, KeyError, IndexError, AttributeError)


class _Row:
    """The context manager of :meth:`ParseContext.row`: a plain class, because
    ``contextlib.contextmanager``'s generator costs a few microseconds a row, which pages of
    hundreds of rows feel."""

    __slots__ = ("ctx", "field_name", "raw_text")

    def __init__(self, ctx: ParseContext, field_name: str, raw_text: Callable[[], str | None] | str | None):
        self.ctx = ctx
        self.field_name = field_name
        self.raw_text = raw_text

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            return False
        if issubclass(exc_type, RowSkipped):
            self.ctx.problem(self.field_name, _raw(self.raw_text), f"row skipped: {exc}")
            return True
        if issubclass(exc_type, (ValueError, TypeError, KeyError, IndexError, AttributeError)):
            self.ctx.problem(self.field_name, _raw(self.raw_text), f"row skipped: {exc_type.__name__}: {exc}")
            return True
        return False


def _raw(raw_text: Callable[[], str | None] | str | None) -> str | None:
    if callable(raw_text):
        try:
            text = raw_text()
        except Exception:  # the raw text is only for the report; never let it mask the problem
            return None
        return None if text is None else text[:500]
    return raw_text[:500] if raw_text else raw_text


def html_tree(body: bytes | str, url: str) -> lxml.html.HtmlElement:
    """Build an lxml tree; LiveRC serves UTF-8."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
    return lxml.html.document_fromstring(body, parser=parser, base_url=url)
