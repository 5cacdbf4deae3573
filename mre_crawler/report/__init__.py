"""``mre report OUT_DIR``: a static, offline HTML site built from the warehouse's marts.

One folder: open ``index.html``; nothing is fetched (no server, CDN or web fonts). Pages are
jinja2 templates (``templates/``) with autoescaping; charts are the project's inline SVG
(``mre_crawler.charts``). ``data.py`` reads the warehouse, ``site.py`` writes the pages.
"""

from mre_crawler.report.site import ReportSummary, build_report

__all__ = ["ReportSummary", "build_report"]
