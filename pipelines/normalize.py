"""Normalize pipeline: tidy the text LiveRC prints so the same name or class reads the same.

Whitespace runs are collapsed and typographic apostrophes made plain in driver names, class
names, race and round names (LiveRC prints ``1/8 Nitro Buggy  (Heat 3/3)`` with a double space,
FIELD-GUIDE §4). Case is kept: the raw printed text stays raw. The derived forms
(display name ``Felix Koegler``, name key ``felix koegler``, class key ``1/10 buggy``) come from
the pure functions in :mod:`mre_crawler.normalize`, which the store applies to every row it
writes, so the stored keys never depend on whether this pipeline ran.

Setting: ``MRE_NORMALIZE_ENABLED`` (default on).
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import NotConfigured

from mre_crawler import items as it
from mre_crawler.config import config_for
from mre_crawler.normalize import clean_text


class NormalizePipeline:
    def __init__(self, stats: Any = None):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> NormalizePipeline:
        if not config_for(crawler).normalize_enabled:
            raise NotConfigured("MRE_NORMALIZE_ENABLED is off")
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        page = item.item if isinstance(item, it.PageItem) else item
        changed = normalize_item(page)
        if changed and self.stats is not None:
            self.stats.inc_value("mre/normalize/values_cleaned", changed)
        return item


def _clean(obj: Any, *names: str) -> int:
    changed = 0
    for name in names:
        old = getattr(obj, name, None)
        if isinstance(old, str):
            new = clean_text(old)
            if new != old and new is not None:
                setattr(obj, name, new)
                changed += 1
    return changed


def normalize_item(item: Any) -> int:
    """Clean one page-level item in place; return how many values changed."""
    n = 0
    if isinstance(item, list):
        return sum(normalize_item(x) for x in item)
    if isinstance(item, it.Race):
        n += _clean(item, "race_name", "round_name")
        for res in item.results:
            n += _clean(res, "driver_name", "car_number")
    elif isinstance(item, it.Event):
        n += _clean(item, "name", "track_name")
        for race in item.races:  # race_label_raw stays exactly as printed
            n += _clean(race, "round_name", "class_name", "race_name")
    elif isinstance(item, it.EntryList):
        cleaned = {clean_text(k) or k: v for k, v in item.classes.items()}
        n += sum(1 for k in item.classes if (clean_text(k) or k) != k)
        item.classes = cleaned
        for e in item.entries:
            n += _clean(e, "class_name", "display_name", "sort_name", "transponder")
    elif isinstance(item, it.PointsTable):
        for row in item.rows:
            n += _clean(row, "class_name", "driver_name")
    elif isinstance(item, it.MultiMainResult):
        n += _clean(item, "class_name")
        for row in item.rows:
            n += _clean(row, "driver_name")
    elif isinstance(item, (it.EventSummary, it.TrackListing, it.Track)):
        n += _clean(item, "name")
    return n
