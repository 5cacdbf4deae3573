"""The real example: event 486677's 1/8 Nitro Buggy B-Main (race 6304830) feeds its A-Main (race
6304829). Parsed from the saved pages, stored, built by the real warehouse, and reported."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from mre_crawler.bumpups import load_event_report, render_html, report_to_json
from mre_crawler.parsers import parse_page
from warehouse.item_sources import item_sources
from warehouse.runner import build_warehouse
from warehouse.sources import ArrowSources, PostgresSources

pytestmark = pytest.mark.liverc

EVENT_ID = 486677
PAGES = ("event-486677.html", "race-6304829.html", "race-6304830.html")
# Read off race-6304830.html (B-Main: Pos 1-4) and race-6304829.html (A-Main: Qual 9-12;
# RILEY LANDER's Laps/Time is a bare 0, the DNS row).
EXPECTED = [
    ("LINDSAY FROST", 1, 9, "stopped_early"),
    ("DALLAS GARDINER", 2, 10, "finished"),
    ("RILEY LANDER", 3, 11, "did_not_start"),
    ("MITCHELL SCOTT", 4, 12, "finished"),
]


def parsed_pages(liverc) -> list[tuple[str, str, dict, list]]:
    pages = []
    for name in PAGES:
        saved = liverc[name]
        meta = {"track_slug": "canberraoffroad", "event_id": EVENT_ID}
        if saved.page_type == "race_result":
            meta["race_id"] = int(saved.url.rsplit("=", 1)[1])
        result = parse_page(saved.body, saved.url, saved.page_type, meta)
        pages.append((saved.url, saved.page_type, meta, result.items))
    return pages


def store_real_event(liverc, conn) -> None:
    """Write event 486677's saved pages into PostgreSQL through the store, as a crawl would."""
    from mre_crawler.store import Store

    store = Store(conn)
    for url, page_type, _meta, items in parsed_pages(liverc):
        for item in items:
            store.write_page(item, url=url, page_type=page_type, fetched_at=dt.datetime.now(dt.timezone.utc))
    store.flush()


def assert_the_real_example(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "select driver_name, source_finish_position, target_start_position, target_status, source_race_id, "
        "target_race_id, source_tier_label, target_tier_label, confidence from mart_bumpups "
        "where event_id = ? order by source_finish_position",
        [EVENT_ID],
    ).fetchall()
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == EXPECTED
    assert {(r[4], r[5], r[6], r[7], r[8]) for r in rows} == {(6304830, 6304829, "B-Main", "A-Main", "high")}
    # RILEY LANDER has no lap-0 grid entry: his slot is the Qual column
    assert con.execute(
        "select target_grid_position, target_qual_position from mart_bumpups where driver_name = 'RILEY LANDER'"
    ).fetchall() == [(None, 11)]
    report = load_event_report(con, EVENT_ID)
    missing = {r.race_id: r for r in report.missing_pages}
    assert 6304831 in missing  # the C-Main: listed on the event page, its page not stored
    assert missing[6304831].note == "results page not stored: bump-ups from it into the B-Main cannot be identified"
    assert missing[6304831].url == "https://canberraoffroad.liverc.com/results/?p=view_race_result&id=6304831"
    assert not [b for b in report.bumpups if b["target_tier_label"] == "B-Main"]  # no C -> B claimed
    nitro = next(c for c in report.classes if c.class_name == "1/8 Nitro Buggy")
    assert nitro.summary == ["4 drivers bumped up to the A-Main"]


def test_real_event_through_arrow_sources(liverc, tmp_path: Path):
    path = tmp_path / "warehouse.duckdb"
    build_warehouse(path, ArrowSources(item_sources(parsed_pages(liverc))))
    with duckdb.connect(str(path), read_only=True) as con:
        assert_the_real_example(con)
        report = load_event_report(con, EVENT_ID)
    data = report_to_json(report)
    json.dumps(data)  # plain JSON for scripts
    assert "1/8 Nitro Buggy C-Main" in {m["race_name"] for m in data["missing_pages"]}
    page = render_html(report)
    assert "<svg" in page and "LINDSAY FROST" in page and "results page not stored" in page
    assert "http" not in page.split("<body>")[0]  # no external assets in the head


@pytest.mark.db
def test_real_event_through_the_store_and_postgres(liverc, pg_conn, pg_url, tmp_path: Path):
    from mre_crawler.store import Store

    store = Store(pg_conn)
    for url, page_type, _meta, items in parsed_pages(liverc):
        for item in items:
            store.write_page(item, url=url, page_type=page_type, fetched_at=dt.datetime.now(dt.timezone.utc))
    store.flush()
    path = tmp_path / "warehouse.duckdb"
    build_warehouse(path, PostgresSources(pg_url, schema="mre"))
    with duckdb.connect(str(path), read_only=True) as con:
        assert_the_real_example(con)
