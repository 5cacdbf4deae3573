"""The practice month view: /practice/?p=calendar&d=YYYY-MM -> one :class:`PracticeMonth`.

Layout (FIELD-GUIDE §8; practice-month-canberraoffroad-2025-10.html): the left column's panel
``Practice Dates for October 2025`` holds ``select#available_session_months`` (every month with
sessions, ``YYYY-MM``) and a table of days (``Sat, Oct 25, 2025`` | ``56``), newest first.

The right column embeds the session panel of a *different* day (the capture day,
``Practice Sessions on January 12, 2026 (Monday)``): nothing is read from it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from lxml.html import HtmlElement

from mre_crawler.items import PracticeDayRef, PracticeMonth
from mre_crawler.parsers.base import ParseContext, ParseResult
from mre_crawler.parsers.common import clean, page_track_slug, parse_int, parse_month_date, url_query_value
from mre_crawler.parsers.detect import load_page
from mre_crawler.urls import absolute

PAGE_TYPE = "practice_month"

_CAPTION = re.compile(r"^Practice Dates for\s+(?P<month>[A-Za-z]+\s+\d{4})$", re.IGNORECASE)
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def parse(body: bytes, url: str, meta: Mapping[str, Any] | None = None) -> ParseResult:
    tree = load_page(body, url, PAGE_TYPE)  # builds the tree, then check_not_error_page
    ctx = ParseContext(PAGE_TYPE, url, meta)
    slug = page_track_slug(ctx)
    panel, caption_month = _month_panel(ctx, tree)
    month = _month(ctx, caption_month)
    practice_month = PracticeMonth(track_slug=slug, month=month, available_months=_available_months(ctx, tree, month))
    if panel is not None:
        practice_month.days = _days(ctx, panel, month, slug)
    return ctx.result([practice_month])


def _month_panel(ctx: ParseContext, tree: HtmlElement) -> tuple[HtmlElement | None, str | None]:
    """The panel captioned ``Practice Dates for <Month YYYY>`` and its month as ``YYYY-MM``."""
    for heading in tree.xpath('//div[contains(concat(" ", normalize-space(@class), " "), " panel-heading ")]'):
        text = clean(heading.text_content())
        m = _CAPTION.match(text)
        if m:
            month = ctx.read("month", m["month"], lambda t: dt.datetime.strptime(t, "%B %Y").strftime("%Y-%m"))
            return heading.getparent(), month
    ctx.problem("month", None, 'no "Practice Dates for <Month YYYY>" panel')
    return None, None


def _month(ctx: ParseContext, caption_month: str | None) -> str:
    """The caption says which month the page shows; the requested month is only a cross-check."""
    requested = ctx.meta.get("month") or url_query_value(ctx.url, "d")
    if requested is not None and not _MONTH.match(str(requested)):
        ctx.problem("month", str(requested), "requested month is not YYYY-MM")
        requested = None
    if caption_month and requested and caption_month != requested:
        ctx.problem("month", str(requested), f"page shows {caption_month}, not the requested month")
    month = caption_month or requested
    if not month:
        raise ctx.fail("the month is neither on the page nor in the URL", "month")
    return str(month)


def _available_months(ctx: ParseContext, tree: HtmlElement, month: str) -> list[str]:
    months: list[str] = []
    selected: list[str] = []
    for option in tree.xpath('//select[@id="available_session_months"]/option'):
        value = (option.get("value") or "").strip()
        if not _MONTH.match(value):
            ctx.problem("available_months", value, "option value is not YYYY-MM")
            continue
        months.append(value)
        if option.get("selected") is not None:
            selected.append(value)
    if not months:
        ctx.problem("available_months", None, "no select#available_session_months options")
    if selected and selected[0] != month:
        ctx.problem("available_months", selected[0], f"selected month differs from the caption's {month}")
    return months


def _days(ctx: ParseContext, panel: HtmlElement, month: str, slug: str) -> list[PracticeDayRef]:
    days: list[PracticeDayRef] = []
    for index, row in enumerate(panel.xpath(".//table//tr[td]")):
        field = f"day[{index}]"
        cells = row.findall("td")
        links = cells[0].xpath(".//a/@href") if cells else []
        href = links[0] if links else None
        day = ctx.read(f"{field}.date", url_query_value(href or "", "d"), dt.date.fromisoformat, required=True)
        if day is None:
            continue  # without its date a day cannot be requested; the problem says why
        shown = clean(cells[0].text_content())
        shown_day = ctx.read(f"{field}.date", shown, parse_month_date)
        if shown_day is not None and shown_day != day:
            ctx.problem(f"{field}.date", shown, f"link says {day.isoformat()}")
        if day.strftime("%Y-%m") != month:
            ctx.problem(f"{field}.date", day.isoformat(), f"day outside the month {month}")
        count_text = clean(cells[1].text_content()) if len(cells) > 1 else None
        count = ctx.read(f"{field}.session_count", count_text, parse_int, required=True)
        days.append(PracticeDayRef(date=day, session_count=count, url=_day_url(href, slug)))
    return days


def _day_url(href: str, slug: str) -> str:
    if slug:
        return absolute(href, slug)
    return href
