"""Thin spiders: which LiveRC pages to request, in what order, with which ids in ``meta``.

``catalogue`` (all tracks), ``track`` (dashboard + events list, optional date range, then each
event) and ``event`` (one event: event page, race pages, entry list, points). They call the page
parsers and yield :class:`mre_crawler.items.PageItem` envelopes; they hold no selectors.
"""
