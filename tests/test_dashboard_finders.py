"""The dashboard parser's div finders select what the XPaths they replace select, on any class soup."""

from __future__ import annotations

from hypothesis import given, strategies as st
from lxml import etree

from mre_crawler.parsers import track_dashboard as dashboard

CLASSES = st.lists(st.sampled_from(["panel", "panel-heading", "panel-default", "dashboard_panels", "col-xs-9", "huge",
                                    "stats", "fb-page", "xpanel", "panels"]), max_size=3)
GAPS = st.sampled_from([" ", "  ", "\t", "\n", "\r\n", "\xa0", "\x0c"])
TEXTS = st.sampled_from(["", "Lifetime Track Stats", "Lifetime", "Races", "12"])


@st.composite
def div_tree(draw, depth=0):
    names, gap = draw(CLASSES), draw(GAPS)
    cls = draw(st.sampled_from(["", gap])) + gap.join(names) + draw(st.sampled_from(["", gap]))
    attrs = f' class="{cls}"' if draw(st.booleans()) else ""
    if draw(st.booleans()):
        attrs += ' data-href="https://facebook.com/x"'
    tag = draw(st.sampled_from(["div", "div", "span"]))
    children = "".join(draw(st.lists(div_tree(depth + 1), max_size=3))) if depth < 3 else ""
    return f"<{tag}{attrs}>{draw(TEXTS)}{children}</{tag}>"


def has_class(name: str) -> str:
    return f'contains(concat(" ", normalize-space(@class), " "), " {name} ")'


@given(st.lists(div_tree(), min_size=1, max_size=4))
def test_div_finders_are_the_xpaths(divs) -> None:
    tree = etree.fromstring(f"<html><body>{''.join(divs)}</body></html>", etree.HTMLParser())
    walk = dashboard._classed_divs(tree)
    for name in ("panel", "dashboard_panels", "col-xs-9", "fb-page", "huge"):
        assert dashboard._divs(walk, name) == etree.XPath(f"//div[{has_class(name)}]")(tree)
    lifetime = etree.XPath(f'//div[{has_class("panel")}][div[contains(@class, "panel-heading")]'
                           '[contains(., "Lifetime Track Stats")]]')(tree)
    assert dashboard._lifetime_panels(walk) == lifetime
