"""Session-type curation fixtures: a small made-up event whose races the warehouse infers with
every confidence, stored in the session's PostgreSQL (``crawled``), and helpers to read it back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg
import pytest

from mre_crawler import items as it
from mre_crawler.cli import main
from mre_crawler.store import Store

EVENT = 880486677
# race id -> (round, label, what the warehouse infers: type, confidence)
RACES = {
    880000001: ("Qualifier Round 1", "1/8 Nitro Buggy (Heat 1/2)", "qualifying", "high"),
    880000002: ("Qualifier Round 1", "1/8 Nitro Buggy (Heat 2/2)", "qualifying", "high"),
    880000003: ("Main Events", "1/8 Nitro Buggy B-Main", "race", "high"),
    880000004: ("Main Events", "1/8 Nitro Buggy A-Main", "race", "high"),
    880000005: (None, "1/8 Nitro Buggy Seeding", "qualifying", "medium"),  # label alone
    880000006: ("Qualifier Round 2", "1/8 Nitro Buggy A-Main", "race", "low"),  # section and label conflict
}
HIGH = [r for r, v in RACES.items() if v[3] == "high"]


def event_item() -> it.Event:
    start = dt.datetime(2025, 11, 16, 8, 0)
    return it.Event(
        track_slug="bftest", event_id=EVENT, name="Backfill Cup", track_name="Backfill Test",
        date_start=dt.date(2025, 11, 16), date_end=dt.date(2025, 11, 16),
        races=[
            it.EventRace(race_id=rid, round_name=rnd or "", race_number=i + 1, class_name="1/8 Nitro Buggy",
                         race_name=label, race_label_raw=label, completed_local=start + dt.timedelta(minutes=10 * i),
                         schedule_index=i)
            for i, (rid, (rnd, label, _, _)) in enumerate(RACES.items())
        ],
    )


@pytest.fixture
def crawled(pg_conn: psycopg.Connection, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> psycopg.Connection:
    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    monkeypatch.setenv("MRE_WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("MRE_USER", "steward")
    monkeypatch.delenv("MRE_SESSION_TYPE_INFERENCE", raising=False)
    store = Store(pg_conn)
    store.write_page(event_item(), url=f"https://bftest.liverc.com/results/?p=view_event&id={EVENT}", page_type="event")
    store.flush()
    # a round-less race is how the parser stores an empty section header
    pg_conn.execute("update mre.races set round_name = null where race_id = 880000005")
    return pg_conn


def stored(conn: psycopg.Connection) -> dict[int, str | None]:
    return dict(conn.execute("select race_id, session_type from mre.races order by race_id").fetchall())


def build() -> None:
    assert main(["warehouse", "build", "--no-publish-postgres"]) == 0
