"""Items as JSON lines: dates as ISO text, children flattened with their parents' keys."""

from __future__ import annotations

import datetime as dt
import json

from itemadapter import ItemAdapter

from mre_crawler.items import ALL_ITEM_TYPES, Lap, Race, RaceResult
from mre_crawler.jsonout import dumps, flatten, item_to_dict


def _race() -> Race:
    result = RaceResult(
        position=1, car_number="1", driver_id=346997, driver_name="FELIX KOEGLER", qual_position=1,
        laps=2, total_time=75.5, behind_seconds=None, behind_laps=None, fastest_lap=37.2,
        fastest_lap_number=2, avg_lap=37.75, avg_top5=None, avg_top10=None, avg_top15=None,
        top3_consecutive=None, std_deviation=None, consistency=None, status="finished",
        lap_list=[Lap(1, 38.3, 1, "2/1:16.6"), Lap(2, 37.2, 1, None)],
    )
    return Race("canberraoffroad", 486677, 6304829, 14, "1/8 Nitro Buggy A-Main", "Main Events", 1800, "Timed", "M1 Race #14", [result])


def test_every_item_type_is_an_itemadapter_item():
    for item_type in ALL_ITEM_TYPES:
        assert ItemAdapter.is_item_class(item_type), item_type.__name__


def test_flatten_gives_one_record_per_row_carrying_the_parent_keys():
    records = list(flatten(_race()))
    assert [r["_type"] for r in records] == ["Race", "RaceResult", "Lap", "Lap"]
    lap = records[2]
    assert (lap["race_id"], lap["driver_id"], lap["lap_number"], lap["lap_time"]) == (6304829, 346997, 1, 38.3)
    assert "results" not in records[0] and "lap_list" not in records[1]


def test_dates_and_times_are_written_as_iso_text():
    record = {"when": dt.datetime(2025, 11, 16, 17, 30), "day": dt.date(2025, 11, 16), "clock": dt.time(8, 22)}
    assert json.loads(dumps(record)) == {"when": "2025-11-16T17:30:00", "day": "2025-11-16", "clock": "08:22:00"}


def test_nested_form_keeps_rows_inside_their_item():
    data = item_to_dict(_race())
    assert data["_type"] == "Race"
    assert data["results"][0]["lap_list"][1]["lap_time"] == 37.2
    assert ItemAdapter(_race())["race_id"] == 6304829
