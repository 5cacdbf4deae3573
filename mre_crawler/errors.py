"""Parse failures that name page type, URL, field and the text that could not be read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ParseProblem:
    """One value or row that could not be read. The page's other values and rows are kept."""

    page_type: str
    url: str
    field: str  # e.g. "race_result.fastest_lap" or "row[7]"
    text: str | None  # the raw text that could not be read (None when the element is missing)
    reason: str

    def __str__(self) -> str:
        shown = "" if self.text is None else f" {self.text!r}"
        return f"{self.page_type} {self.url}: {self.field}{shown}: {self.reason}"


class PageError(Exception):
    """The page as a whole cannot be read (its layout changed, a required table is missing)."""

    def __init__(self, page_type: str, url: str, reason: str, field: str | None = None):
        self.page_type = page_type
        self.url = url
        self.reason = reason
        self.field = field
        where = f" ({field})" if field else ""
        super().__init__(f"{page_type} {url}{where}: {reason}")


class WrongPageType(PageError):
    """The page is not the expected type: an error page, a bot check, an empty result, another page.

    ``found`` names what it is instead ("error_page", "bot_check", "empty", "event", ...).
    """

    def __init__(self, page_type: str, url: str, found: str, reason: str):
        self.found = found
        super().__init__(page_type, url, f"not a {page_type} page: {reason} (looks like {found})")


class IncompletePage(PageError):
    """The page is not whole: its body is cut short, or its rows contradict the page's own
    totals or lap data (a row with fewer cells than the header, a racerLaps driver with no row).

    Such a page is never stored, cached or used to mark rows removed: the spider quarantines it
    with this reason and lists it as failed, and the rows already stored stay as they are.
    """
