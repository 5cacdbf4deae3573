"""An event's entry list: /results/?p=view_entry_list&id=<event_id> -> one :class:`EntryList`.

Layout (FIELD-GUIDE §6; entry-list-silverstate-2025-silver-state.html: 18 classes, 724
entries, 263 drivers): one ``div.tab-pane`` per class holding a table whose ``thead`` names the
class (``div.class_header``) and its count (``div.class_sub_header`` ``Entries: N``); each body
row is ``# | <span class="hidden">LAST, FIRST</span>FIRST LAST | transponder``. The right column's
``Event Stats`` panel prints the event totals.

Completeness (issue 9): a class whose printed ``Entries: N`` its rows contradict, or a row short of
cells, raises ``IncompletePage``. The Event Stats total against the classes' sum stays a reported
problem: third-party notes say some events add LCQ/semi tabs (FIELD-GUIDE §6), which would count
entries twice, so that sum is not a total the page reliably keeps. The page has no driver ids, no car numbers and
does not show its own event id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lxml import etree

from mre_crawler.items import Entry, EntryList
from mre_crawler.parsers.base import ParseContext, ParseResult
from mre_crawler.parsers.common import clean, page_id, page_track_slug, parse_int, text_of
from mre_crawler.parsers.detect import load_plain_page

PAGE_TYPE = "entry_list"

_CLASS_PANES = etree.XPath('//div[contains(concat(" ", normalize-space(@class), " "), " tab-content ")]/div[contains(concat(" ", normalize-space(@class), " "), " tab-pane ")]')
_CLASS_HEADER = etree.XPath('thead//*[contains(concat(" ", normalize-space(@class), " "), " class_header ")]')
_CLASS_SUB_HEADER = etree.XPath('thead//*[contains(concat(" ", normalize-space(@class), " "), " class_sub_header ")]')
_REGISTRATIONS = etree.XPath('//tr[th[normalize-space(.) = "Registrations"]]/td')
_ENTRIES_COUNT = re.compile(r"^Entries:\s*(?P<n>[\d,]+)$", re.IGNORECASE)


def parse(body: bytes, url: str, meta: Mapping[str, Any] | None = None) -> ParseResult:
    # A plain lxml.etree tree (no lxml.html element classes: 724 rows' cells were most of the cost);
    # texts are read with the XPath ``string()`` that ``text_content()`` runs.
    tree = load_plain_page(body, url, PAGE_TYPE)  # builds the tree, then check_not_error_page
    ctx = ParseContext(PAGE_TYPE, url, meta)
    panes = _CLASS_PANES(tree)
    if not panes:
        raise ctx.fail("no class tab panes (div.tab-content > div.tab-pane)", "entry_list")
    entry_list = EntryList(track_slug=page_track_slug(ctx), event_id=page_id(ctx, "event_id"))
    for pane in panes:
        _read_class(ctx, pane, entry_list)
    _read_event_stats(ctx, tree, entry_list)
    return ctx.result([entry_list])


def _read_class(ctx: ParseContext, pane: etree._Element, entry_list: EntryList) -> None:
    table = pane.find("table")
    where = f"class[{pane.get('id')}]"
    if table is None:
        ctx.problem(where, None, "tab pane without a table")
        return
    header = _CLASS_HEADER(table)
    class_name = clean(text_of(header[0])) if header else ""
    if not class_name:
        ctx.problem(f"{where}.class_name", None, "missing class header")
        return
    where = f"class[{class_name}]"
    if class_name in entry_list.classes:
        ctx.problem(f"{where}.class_name", class_name, "class listed twice; its counts are merged")
    rows = table.findall("tbody/tr")
    printed = _printed_count(ctx, table, where)
    if printed is not None:
        entry_list.classes[class_name] = entry_list.classes.get(class_name, 0) + printed
        # Compare with the rows on the page, read or not: a row we failed to read is already a problem.
        # The class's own count is the page's promise of its rows (724 of 724 on
        # entry-list-silverstate…html, every generated list): fewer rows is a page cut short.
        if printed != len(rows):
            raise ctx.incomplete(f"class {class_name!r} says Entries: {printed}, its table has {len(rows)} rows", f"{where}.entries")
    for row in rows:
        entry = _entry(ctx, where, class_name, row)
        if entry is not None:
            entry_list.entries.append(entry)


def _printed_count(ctx: ParseContext, table: etree._Element, where: str) -> int | None:
    sub = _CLASS_SUB_HEADER(table)
    text = clean(text_of(sub[0])) if sub else None
    m = _ENTRIES_COUNT.match(text or "")
    if not m:
        ctx.problem(f"{where}.entries", text, 'no "Entries: N" class sub header')
        return None
    return parse_int(m["n"])


def _entry(ctx: ParseContext, where: str, class_name: str, row: etree._Element) -> Entry | None:
    cells = row.findall("td")
    if len(cells) < 3:
        raise ctx.incomplete(f"an entry row has {len(cells)} cells, not 3: {clean(text_of(row))[:80]!r}", f"{where}.row")
    number_text = " ".join(text_of(cells[0]).split())  # clean(), inlined
    if number_text.isdigit() and number_text.isascii():  # every row seen: parse_int gives the same
        row_number = int(number_text)
    else:
        row_number = ctx.read(f"{where}.row_number", number_text, parse_int, required=True)
    if row_number is None:
        return None  # the problem names the field and text; the class's other rows are kept
    sort_name, display_name = _driver_names(cells[1])
    if not display_name:
        ctx.problem(f"{where}[{row_number}].driver", sort_name, "row skipped: no driver name")
        return None
    transponder = " ".join(text_of(cells[2]).split()) or None  # text: "2222363/2" exists
    return Entry(class_name, row_number, display_name, sort_name, transponder)


def _driver_names(cell: etree._Element) -> tuple[str | None, str]:
    """``<span class="hidden">O'CONNOR, SHANE</span>SHANE O'CONNOR`` -> (sort name, shown name).

    Whole-cell text would glue the two (FIELD-GUIDE §12.1). The shown name is the text outside
    the hidden span: the cell's own text and the span's tail.
    """
    hidden: str | None = None
    shown = [cell.text or ""]
    for child in cell:
        if hidden is None and "hidden" in (child.get("class") or "").split():
            hidden = " ".join(text_of(child).split()) or None
        else:
            shown.append(text_of(child))
        shown.append(child.tail or "")
    return hidden, " ".join("".join(shown).split())


def _read_event_stats(ctx: ParseContext, tree: etree._Element, entry_list: EntryList) -> None:
    cells = _REGISTRATIONS(tree)
    if not cells:
        ctx.problem("event_stats.registrations", None, "no Registrations row in Event Stats")
        return
    text = clean(text_of(cells[0]))
    entries = re.search(r"Entries:\s*([\d,]+)", text)
    drivers = re.search(r"Drivers:\s*([\d,]+)", text)
    if not entries or not drivers:
        ctx.problem("event_stats.registrations", text, 'not "Entries: N Drivers: M"')
    entry_list.total_entries = parse_int(entries[1]) if entries else None
    entry_list.total_drivers = parse_int(drivers[1]) if drivers else None
    if entry_list.total_entries is not None and entry_list.total_entries != sum(entry_list.classes.values()):
        ctx.problem(
            "event_stats.entries",
            text,
            f"Event Stats says {entry_list.total_entries} entries, the classes add up to {sum(entry_list.classes.values())}",
        )
