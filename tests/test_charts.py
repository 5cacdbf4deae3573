"""The project's SVG charts: y ticks cover every point; ladder text is escaped and every driver drawn."""

from __future__ import annotations

import pytest

from mre_crawler.charts import LadderColumn, LadderEntry, LadderLink, ladder_svg
from mre_crawler.charts.xy import nice_ticks


@pytest.mark.parametrize(("lo", "hi"), [(29.3, 56.1), (37.2, 38.2), (5.0, 5.0), (0.4, 0.41), (100.0, 250.0)])
def test_y_ticks_cover_the_fastest_and_slowest_lap(lo, hi):
    ticks = nice_ticks(lo, hi)
    assert ticks[0] <= lo and ticks[-1] >= hi and ticks == sorted(ticks)


def test_ladder_draws_every_driver_escapes_names_and_one_arrow_per_bump_up():
    lower = LadderColumn(1, "B-Main", ["3 drivers"], True, [
        LadderEntry(10, "<b>Ann</b>", 2, 1), LadderEntry(11, "Bo & Co", 1, 2), LadderEntry(12, "Cy", 3, 3)])
    upper = LadderColumn(2, "A-Main", ["2 drivers"], True, [
        LadderEntry(20, "Dee", 1, 1), LadderEntry(10, "<b>Ann</b>", 2, 2, "did_not_start")])
    svg = str(ladder_svg("1/8 Buggy", [lower, upper], [LadderLink(10, 1, 2, 1, 2)]))
    assert "<b>Ann</b>" not in svg and "&lt;b&gt;Ann&lt;/b&gt;" in svg and "Bo &amp; Co" in svg
    assert svg.count('class="bumpup"') == 1
    assert all(name in svg for name in ("Cy", "Dee"))


def test_y_tick_labels_of_one_axis_have_the_same_decimals():
    import re

    from mre_crawler.charts.xy import Series, xy_chart_svg

    svg = str(xy_chart_svg([Series("t", [(0, 37.25), (1, 38.3)])], [(0, "a"), (1, "b")], x_label="x", y_label="y",
                           title="t"))
    labels = re.findall(r'text-anchor="end" font-size="11" fill="#444">([^<]+)</text>', svg)
    assert len(labels) >= 3 and "38.0" in labels and len({len(lbl.partition(".")[2]) for lbl in labels}) == 1, labels
