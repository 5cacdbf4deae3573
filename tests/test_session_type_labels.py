"""The label table: every race label and section of the real event page (event-486677.html), plus
the tricky labels LiveRC sites print elsewhere, through the real session-type models."""

from __future__ import annotations

import importlib.util
import re

import pytest

from mre_crawler.parsers.common import clean
from tests.fixtures_warehouse import RaceRow as R

pytestmark = pytest.mark.liverc


def _event_races(page) -> list[dict]:
    """The event page's race rows: (race id, section, class, race name) in schedule order."""
    if importlib.util.find_spec("mre_crawler.parsers.event") is not None:
        from mre_crawler.parsers import parse_page

        event = parse_page(page.body, page.url, "event", {"track_slug": "canberraoffroad", "event_id": 486677}).item
        return [
            {"race_id": r.race_id, "round_name": r.round_name, "class_name": r.class_name,
             "race_name": r.race_name, "schedule_index": r.schedule_index, "event_id": 486677}
            for r in event.races
        ]
    # Until the event parser lands: read the "Race Results" table directly (field guide §4).
    import lxml.html

    tree = lxml.html.document_fromstring(page.body)
    rows, section = [], None
    for tr in tree.xpath('//table[.//span[contains(@class,"class_header")][contains(.,"Race Results")]]/tbody/tr'):
        th = tr.xpath("./th")
        if th:
            section = clean(th[0].text_content())
            continue
        link = tr.xpath("./td[1]//a")[0]
        text = clean(link.text_content())
        m = re.match(r"Race (\d+): (.*?) \((.*)\)$", text)
        rows.append({"race_id": int(re.search(r"id=(\d+)", link.get("href")).group(1)), "round_name": section,
                     "class_name": m.group(2), "race_name": clean(m.group(3)), "event_id": 486677})
    for i, row in enumerate(reversed(rows)):  # the page lists newest first
        row["schedule_index"] = i
    return rows


def test_every_race_of_event_486677_is_typed_with_high_confidence(liverc, session_types):
    races = _event_races(liverc["event-486677.html"])
    # the page: 32 races in 4 sections (MANIFEST.tsv)
    assert len(races) == 32
    assert {r["round_name"] for r in races} == {"Main Events", "Qualifier Round 1", "Qualifier Round 2", "Qualifier Round 3"}
    rows = session_types(races)
    by_label = {}
    for race in races:
        row = rows[race["race_id"]]
        by_label.setdefault((race["round_name"].startswith("Qualifier"), row["session_type"], row["session_kind"]), []).append(race["race_name"])
        assert row["confidence"] == "high", (race, row)
    heats = by_label.pop((True, "qualifying", "heat"))
    triple_legs = by_label.pop((False, "race", "triple_main_leg"))
    single_mains = by_label.pop((False, "race", "main"))
    assert by_label == {}
    # 3 qualifier rounds x (3 electric + 3 nitro heats)
    assert len(heats) == 18 and all(re.search(r"\(Heat [1-3]/3\)$", h) for h in heats)
    # 1/8 Electric Buggy triple A, B and C mains
    assert sorted(triple_legs) == sorted(f"1/8 Electric Buggy {x}{n}-Main" for x in "ABC" for n in (1, 2, 3))
    assert sorted(single_mains) == sorted([f"1/8 Nitro Buggy {x}-Main" for x in "ABCD"] + ["Junior A-Main"])


@pytest.mark.parametrize(
    ("race_name", "round_name", "class_name", "expected"),
    [
        ("Practice Makes Perfect Cup A-Main", "Main Events", "1/10 Buggy", ("race", "main")),
        ("1/10 Buggy Practice Makes Perfect Cup (Heat 2/4)", "Qualifier Round 1", "1/10 Buggy", ("qualifying", "heat")),
        ("Quinn Q-Tech Buggy A-Main", "Main Events", "Quinn Q-Tech Buggy", ("race", "main")),
        ("1/10 Buggy Quest Series (Heat 1/2)", "Qualifier Round 2", "1/10 Buggy", ("qualifying", "heat")),
        ("1/10 Buggy LCQ", "Main Events", "1/10 Buggy", ("race", "lcq")),
        ("1/10 Buggy (Heat 1/3)", "Qualifier Round 3", "1/10 Buggy", ("qualifying", "heat")),
        ("Junior A-Main", "Main Events", "Junior", ("race", "main")),
        ("1/10 Buggy Junior A-Main", "Main Events", "1/10 Buggy", ("race", "main")),
        ("1/10 Buggy A2-Main", "Main Events", "1/10 Buggy", ("race", "double_main_leg")),
    ],
)
def test_tricky_labels(session_types, race_name, round_name, class_name, expected):
    row = session_types([R(race_name, round_name, class_name)])[100]
    assert (row["session_type"], row["session_kind"]) == expected
    assert row["confidence"] == "high"
