"""Validate pipeline: a row that contradicts its own page goes to quarantine; good rows are stored."""

from __future__ import annotations

import datetime as dt

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from mre_crawler import items as it
from mre_crawler.parsers import parse_page
from mre_crawler.store import Store
from pipelines.validate import ValidatePipeline, validate_race

pytestmark = pytest.mark.liverc
URL = "https://canberraoffroad.liverc.com/results/?p=view_race_result&id=6304829"


@pytest.fixture
def race(liverc) -> it.Race:
    page = liverc["race-6304829.html"]
    meta = {"track_slug": "canberraoffroad", "race_id": 6304829, "event_id": 486677}
    return parse_page(page.body, page.url, "race_result", meta).item


def test_real_race_pages_pass(liverc):
    for rid in (6304829, 6304830):
        page = liverc[f"race-{rid}.html"]
        race = parse_page(page.body, page.url, "race_result", {"track_slug": "canberraoffroad", "race_id": rid}).item
        kept, rejected = validate_race(race)
        assert rejected == [] and kept is race


def _drop_last_lap(r: it.RaceResult) -> None:
    r.lap_list.pop()


def _slow_lap(r: it.RaceResult) -> None:
    r.lap_list[3].lap_time += 0.5


def _no_id(r: it.RaceResult) -> None:
    r.driver_id = None


@pytest.mark.parametrize(
    ("tamper", "key", "reason"),
    [
        (_drop_last_lap, "driver:", "lap count mismatch: 46 laps listed, Laps/Time says 47"),
        (_slow_lap, "driver:", "lap time sum mismatch: laps add up to 1831.882 s, Laps/Time says 1831.382 s"),
        (_no_id, "position:1", "no driver id"),
    ],
)
def test_a_bad_row_is_rejected_and_the_others_kept(race, tamper, key, reason):
    tamper(race.results[0])  # FELIX KOEGLER: 47/30:31.382
    kept, rejected = validate_race(race)
    assert len(kept.results) == 11 and len(race.results) == 12
    assert len(rejected) == 1
    assert rejected[0].item_key.startswith(key) and rejected[0].reason.startswith(reason)
    assert rejected[0].raw["driver_name"] == "FELIX KOEGLER"


def test_repeated_position_rejects_both_rows(race):
    race.results[3].position = 3
    kept, rejected = validate_race(race)
    rows = [r for r in rejected if r.item_key != "positions"]
    assert sorted(r.item_key for r in rows) == sorted(f"driver:{r.driver_id}" for r in race.results[2:4])
    assert {r.reason for r in rows} == {"position repeated: position 3 is printed 2 times"}
    # and position 4 is now missing
    assert [r.reason for r in rejected if r.item_key == "positions"] == ["positions not contiguous: missing 4 of 1..12"]
    assert len(kept.results) == 10


def test_gap_in_positions_is_a_race_level_entry_rows_kept(race):
    del race.results[4]
    kept, rejected = validate_race(race)
    assert len(kept.results) == 11
    assert [(r.item_key, r.reason) for r in rejected] == [("positions", "positions not contiguous: missing 5 of 1..12")]


@pytest.mark.db
def test_pipeline_rejection_lands_in_quarantine_and_good_rows_are_stored(pg_conn, race):
    store = Store(pg_conn)
    store.write_page(race, url=URL)  # a good crawl first
    felix = race.results[0]
    felix.lap_list.pop()
    page = it.PageItem(URL, "race_result", dt.datetime.now(dt.timezone.utc), race, body=b"<html>page</html>")
    crawler = get_crawler(settings_dict={})
    out = ValidatePipeline.from_crawler(crawler).process_item(page)
    assert crawler.stats.get_value("mre/validate/rejected_rows") == 1
    counts = store.write_page(out)
    assert counts.quarantined == 1
    assert counts.changed == 0  # the rejected row is held as stored, not marked removed
    q = pg_conn.execute("SELECT item_key, reason, raw->>'driver_name', body FROM mre.quarantine").fetchone()
    assert q[:3] == (f"driver:{felix.driver_id}", "lap count mismatch: 46 laps listed, Laps/Time says 47",
                     "FELIX KOEGLER")
    assert bytes(q[3]) == b"<html>page</html>"


def test_switch_off_raises_not_configured():
    with pytest.raises(NotConfigured):
        ValidatePipeline.from_crawler(get_crawler(settings_dict={"MRE_VALIDATE_ENABLED": False}))
