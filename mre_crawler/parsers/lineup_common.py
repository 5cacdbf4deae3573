"""What the heat sheet, round ranking and overall ranking parsers share (FIELD-GUIDE §11.3-§11.5).

No saved copy of these pages exists: columns are found by header text, hidden sort keys
(``<div class="hidden">``) are left out of every value, links may percent-encode underscores
(``view%5Frace%5Fresult``), and a page that does not fit raises :class:`PageError` with its reason
(quarantine) rather than being half read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TypeVar
from urllib.parse import unquote

import lxml.etree
import lxml.html

from mre_crawler.parsers.base import ParseContext
from mre_crawler.parsers.common import class_holds, clean, parse_int, text_of
from mre_crawler.parsers.detect import check_not_error_page, plain_tree

T = TypeVar("T")
_PANEL_HEADING = ("panel-heading",)
_RACE_LINK_ID = re.compile(r"[?&]id=(\d+)")
HEADER_CELLS = lxml.etree.XPath("thead/tr/th")
LAST_HEADER_CELLS = lxml.etree.XPath("thead/tr[last()]/th")
_THEAD_CLASS_HEADER = lxml.etree.XPath('thead//*[contains(concat(" ", normalize-space(@class), " "), " class_header ")]')
THEAD_DIV_CLASS_HEADER = lxml.etree.XPath('thead//div[contains(concat(" ", normalize-space(@class), " "), " class_header ")]')


def has_class(cls: str) -> str:
    return f'contains(concat(" ", normalize-space(@class), " "), " {cls} ")'


def load_fitting(body: bytes, url: str, page_type: str, find: Callable[[lxml.etree._Element], T]
                 ) -> tuple[lxml.etree._Element, T]:
    """The page's tree and what ``find`` found in it (its tables), so the parser need not look
    twice. A page where ``find`` finds something (a true value) is taken at once; any other goes
    through :func:`check_not_error_page` (error page, bot check, another page type), and then the
    parser fails it with the reason of what is missing."""
    tree = plain_tree(body, url, page_type)
    found = find(tree)
    if not found:
        check_not_error_page(tree, page_type, url)
    return tree, found


def visible(cell: lxml.etree._Element) -> str:
    """A cell's text without its hidden sort keys or hidden full name (any ``.hidden`` element).

    One walk over the cell (no XPath per cell: a ranking page has ~10 cells a row); a cell with no
    child elements is its own text."""
    n = len(cell)
    if not n:
        text = cell.text
        return " ".join(text.split()) if text else ""
    if n == 1:  # the usual metric cell: <div class="hidden">sort key</div>value
        child = cell[0]
        cls = child.get("class") if isinstance(child.tag, str) else None
        if cls and "hidden" in cls.split():
            return clean((cell.text or "") + (child.tail or ""))
    parts: list[str] = [cell.text] if cell.text else []
    _visible_into(cell, parts)
    return clean("".join(parts))


def _visible_into(node: lxml.etree._Element, parts: list[str]) -> None:
    for child in node:
        cls = child.get("class") if isinstance(child.tag, str) else None
        if not (cls and "hidden" in cls.split()):
            if child.text:
                parts.append(child.text)
            if len(child):
                _visible_into(child, parts)
        if child.tail:
            parts.append(child.tail)


def header_key(text: str) -> str:
    """A header's text folded for lookup: ``"Car # / Driver"`` -> ``"car # / driver"``."""
    return clean(text).lower()


def race_id_of(el: lxml.html.HtmlElement) -> int | None:
    """The race id of the first race-result link inside ``el`` (plain or percent-encoded)."""
    for a in el.iter("a"):
        href = a.get("href") or ""
        if "%" in href:
            href = unquote(href)
        if "view_race_result" in href:
            m = _RACE_LINK_ID.search(href)
            if m:
                return int(m[1])
    return None


def check_positions(ctx: ParseContext, positions: list[int], where: str) -> None:
    """Positions of one class run 1..n; a gap or a repeat means the page is not whole."""
    if sorted(positions) != list(range(1, len(positions) + 1)):
        shown = ",".join(map(str, positions[:20]))
        raise ctx.incomplete(f"positions are not 1..{len(positions)} ({shown})", where)


def pane_class_names(tree: lxml.html.HtmlElement) -> dict[str, str]:
    """Tab pane id -> class name, from the nav anchors ``<a href="#pane" data-toggle="tab">``."""
    out = {}
    for a in tree.iter("a"):
        if a.get("data-toggle") == "tab" and (a.get("href") or "").startswith("#"):
            out[a.get("href")[1:]] = clean(text_of(a))
    return out


def table_class_name(table: lxml.html.HtmlElement, panes: dict[str, str]) -> str:
    """A class table's class: its own ``class_header`` in the thead, else its tab's name."""
    header = _THEAD_CLASS_HEADER(table)
    if header:
        return clean(text_of(header[0]))
    for pane in table.iterancestors("div"):
        if pane.get("id") in panes:
            return panes[pane.get("id")]
    return ""


def panel_heading(tree: lxml.html.HtmlElement) -> str:
    """The text of the first ``div.panel-heading``, or "": a walk over the divs that stops at the
    first (it sits above the tables), not an XPath over every div of the page."""
    for div in tree.iter("div"):
        if class_holds(div.get("class"), _PANEL_HEADING):
            return clean(text_of(div))
    return ""


def title_page_name(tree: lxml.html.HtmlElement) -> str:
    """The page-name part of ``Track :: Event :: <page name> :: LiveRC`` (FIELD-GUIDE §11.1)."""
    title = next(tree.iter("title"), None)  # .find(".//title") without ElementPath
    parts = [clean(p) for p in (text_of(title) if title is not None else "").split("::")]
    parts = [p for p in parts if p and p.lower() != "liverc"]
    return parts[-1] if len(parts) >= 3 else ""


def class_tables(ctx: ParseContext, tables: list, panes: dict[str, str], what: str) -> Iterator[tuple[str, object]]:
    """(class name, table) for each ranking table, the class from its header or its tab; a second
    table of one class is left out with a problem (IMRC warns of a mobile and a desktop copy of one
    table, FIELD-GUIDE §11.4); a table naming no class fails the page (``what`` names the table)."""
    seen: set[str] = set()
    for table in tables:
        class_name = table_class_name(table, panes)
        if not class_name:
            raise ctx.fail(f"{what} with neither a class header nor a class tab", "class_name")
        if class_name in seen:
            ctx.problem(f"class[{class_name}]", None, "a second table of this class was left out")
            continue
        seen.add(class_name)
        yield class_name, table


def class_rows(ctx: ParseContext, table, class_name: str, read_row: Callable) -> list:
    """Each body row of one class's table read by ``read_row``, the positions checked as one sequence."""
    items = []
    for row in table.iterfind("tbody/tr"):
        items.append(read_row(row))
    check_positions(ctx, [item.position for item in items], f"class[{class_name}]")
    return items


def ranking_row_start(ctx: ParseContext, where: str, columns: dict, row) -> tuple[list, dict[str, str], int, str]:
    """The part every ranking row reads alike: its cells (fewer than the header's columns: the page
    is incomplete), the visible text per field, the position (required, a number) and the driver name
    (required)."""
    cells = list(row.iterchildren("td"))  # as findall("td"), without ElementPath's per-call cost (~5x)
    if len(cells) < columns["_width"]:
        raise ctx.incomplete(f"a ranking row has {len(cells)} cells for {columns['_width']} columns", f"{where}.row")
    fields = columns.get("_fields")
    if fields is None:  # the (field, index) pairs, worked out once per table
        fields = columns["_fields"] = [(f, i) for f, i in columns.items() if not f.startswith("_")]
    texts = {f: visible(cells[i]) for f, i in fields}
    pos_text = texts["pos"]
    # plain digits (the usual cell) read as parse_int would; anything else goes through ctx.read
    pos = int(pos_text) if pos_text.isdigit() and pos_text.isascii() else ctx.read(
        f"{where}.position", pos_text, parse_int, required=True)
    if pos is None:
        raise ctx.fail(f"{where}: position {texts['pos']!r} is not a number", "position")
    name = texts["driver"]
    if not name:
        raise ctx.incomplete(f"position {pos} has no driver name", f"{where}[{pos}].driver")
    return cells, texts, pos, name
