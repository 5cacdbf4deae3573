"""Inline SVG charts the project draws itself (no scripts, fonts or images to fetch): the mains
ladder of a class at an event, and a numbered x/y chart for lap times."""

from mre_crawler.charts.ladder import LadderColumn, LadderEntry, LadderLink, ladder_legend_html, ladder_svg
from mre_crawler.charts.xy import Series, xy_chart_svg

__all__ = ["LadderColumn", "LadderEntry", "LadderLink", "Series", "ladder_legend_html", "ladder_svg", "xy_chart_svg"]
