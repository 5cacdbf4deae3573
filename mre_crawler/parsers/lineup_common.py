"""What the heat sheet, round ranking and overall ranking parsers share (FIELD-GUIDE §11.3-§11.5).

No saved copy of these pages exists: columns are found by header text, hidden sort keys
(``<div class="hidden">``) are left out of every value, links may percent-encode underscores
(``view%5Frace%5Fresult``), and a page that does not fit raises :class:`PageError` with its reason
(quarantine) rather than being half read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import unquote

import lxml.etree
import lxml.html

from mre_crawler.parsers.base import ParseContext
from mre_crawler.parsers.common import clean, parse_int, text_of
from mre_crawler.parsers.detect import check_not_error_page, plain_tree

_RACE_LINK_ID = re.compile(r"[?&]id=(\d+)")
HEADER_CELLS = lxml.etree.XPath("thead/tr/th")
LAST_HEADER_CELLS = lxml.etree.XPath("thead/tr[last()]/th")
_THEAD_CLASS_HEADER = lxml.etree.XPath('thead//*[contains(concat(" ", normalize-space(@class), " "), " class_header ")]')
THEAD_DIV_CLASS_HEADER = lxml.etree.XPath('thead//div[contains(concat(" ", normalize-space(@class), " "), " class_header ")]')
# A raw substring test first (cheap over the whole page), then the exact class-token test on the few hits.
_PANEL_HEADING_CANDIDATES = lxml.etree.XPath('//div[contains(@class, "panel-heading")]')
_XML_SPACE = str.maketrans("\t\r\n", "   ")  # the whitespace normalize-space() folds


def has_class(cls: str) -> str:
    return f'contains(concat(" ", normalize-space(@class), " "), " {cls} ")'


def load_fitting(body: bytes, url: str, page_type: str, fits: Callable[[lxml.html.HtmlElement], bool]
                 ) -> lxml.html.HtmlElement:
    """The page's tree. A page whose structure ``fits`` is taken at once; any other goes through
    :func:`check_not_error_page` (error page, bot check, another page type), and then the parser
    fails it with the reason of what is missing."""
    tree = plain_tree(body, url, page_type)
    if not fits(tree):
        check_not_error_page(tree, page_type, url)
    return tree


def visible(cell: lxml.etree._Element) -> str:
    """A cell's text without its hidden sort keys or hidden full name (any ``.hidden`` element).

    One walk over the cell (no XPath per cell: a ranking page has ~10 cells a row); a cell with no
    child elements is its own text."""
    if not len(cell):
        text = cell.text
        return " ".join(text.split()) if text else ""
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
    for div in _PANEL_HEADING_CANDIDATES(tree):
        if " panel-heading " in f" {div.get('class').translate(_XML_SPACE)} ":
            return clean(text_of(div))
    return ""


def title_page_name(tree: lxml.html.HtmlElement) -> str:
    """The page-name part of ``Track :: Event :: <page name> :: LiveRC`` (FIELD-GUIDE §11.1)."""
    title = tree.find(".//title")
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
