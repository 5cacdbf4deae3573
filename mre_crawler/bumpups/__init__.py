"""Bump-up reports: read an event's bump-ups from the warehouse and render them (table, JSON, HTML).

Detection itself is SQL (``sql/models/intermediate/int_race_tiers.sql``,
``int_bumpups_detected.sql``, ``sql/models/marts/mart_bumpup*.sql``); this package only reads the
published marts.
"""

from mre_crawler.bumpups.render import ladder_chart, print_report, render_html
from mre_crawler.bumpups.report import EventNotInWarehouse, EventReport, load_event_report, report_to_json

__all__ = ["EventNotInWarehouse", "EventReport", "ladder_chart", "load_event_report", "print_report", "render_html",
           "report_to_json"]
