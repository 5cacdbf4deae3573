"""Normalize pipeline: printed text tidied in place, case and raw labels kept."""

from __future__ import annotations

import datetime as dt

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from mre_crawler import items as it
from pipelines.normalize import NormalizePipeline


def test_event_race_names_lose_the_double_space_but_the_raw_label_stays():
    label = "Race 6: 1/8 Nitro Buggy (1/8 Nitro Buggy  (Heat 3/3))"  # event-486677.html
    race = it.EventRace(1, "Qualifier Round 1", 6, "1/8 Nitro Buggy", "1/8 Nitro Buggy  (Heat 3/3)", label, None, 3, 3)
    event = it.Event("canberraoffroad", 486677, "Cup", None, None, None, races=[race])
    crawler = get_crawler(settings_dict={})
    page = it.PageItem("https://canberraoffroad.liverc.com/results/?p=view_event&id=486677", "event",
                       dt.datetime.now(dt.timezone.utc), event)
    assert NormalizePipeline.from_crawler(crawler).process_item(page) is page
    assert race.race_name == "1/8 Nitro Buggy (Heat 3/3)" and race.race_label_raw == label
    assert crawler.stats.get_value("mre/normalize/values_cleaned") == 1


def test_entry_list_names_and_class_keys_are_cleaned_consistently():
    entries = [it.Entry("40+  Electric Buggy", 1, "SHANE O\u2019CONNOR ", "O\u2019CONNOR, SHANE", "123")]
    el = it.EntryList("silverstate", 1, classes={"40+  Electric Buggy": 1}, entries=entries)
    NormalizePipeline.from_crawler(get_crawler(settings_dict={})).process_item(el)
    assert el.classes == {"40+ Electric Buggy": 1}
    assert (entries[0].class_name, entries[0].display_name, entries[0].sort_name) == (
        "40+ Electric Buggy", "SHANE O'CONNOR", "O'CONNOR, SHANE")


def test_switch_off_raises_not_configured():
    with pytest.raises(NotConfigured):
        NormalizePipeline.from_crawler(get_crawler(settings_dict={"MRE_NORMALIZE_ENABLED": False}))
