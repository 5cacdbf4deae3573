"""The store against a real PostgreSQL, with items parsed from the real LiveRC pages.

Expected values are read off the pages: race-6304829.html (1/8 Nitro Buggy A-Main, 12 rows, 1 DNS)
and race-6304830.html (the B-Main); event-486677.html lists them as Race 14 (Nov 16, 2025 at 5:30pm)
and Race 10 (4:02pm) of "Main Events" (the event parser is not used: the store must not depend on it).
"""

from __future__ import annotations

import dataclasses

import copy
import datetime as dt
import hashlib
import time

import pytest

from mre_crawler import items as it
from mre_crawler.parsers import parse_page
from mre_crawler.store import Store, recompute_track_times, set_track_zone

pytestmark = [pytest.mark.db, pytest.mark.liverc]

SLUG = "canberraoffroad"
EVENT_ID = 486677
A_MAIN, B_MAIN = 6304829, 6304830


def race_url(race_id: int) -> str:
    return f"https://{SLUG}.liverc.com/results/?p=view_race_result&id={race_id}"


EVENT_URL = f"https://{SLUG}.liverc.com/results/?p=view_event&id={EVENT_ID}"
DASHBOARD_URL = f"https://{SLUG}.liverc.com/"


@pytest.fixture
def parse_race(liverc):
    def parse(race_id: int) -> it.Race:
        page = liverc[f"race-{race_id}.html"]
        meta = {"track_slug": SLUG, "race_id": race_id, "event_id": EVENT_ID}
        return parse_page(page.body, page.url, "race_result", meta).item

    return parse


@pytest.fixture
def dashboard(liverc) -> it.Track:
    page = liverc["track-dashboard-canberraoffroad.html"]
    return parse_page(page.body, page.url, "track_dashboard", {"track_slug": SLUG}).item


def event_486677(*race_ids: int) -> it.Event:
    """The event page's two nitro mains, as event-486677.html prints them."""
    rows = {
        A_MAIN: it.EventRace(A_MAIN, "Main Events", 14, "1/8 Nitro Buggy", "1/8 Nitro Buggy A-Main",
                             "Race 14: 1/8 Nitro Buggy (1/8 Nitro Buggy A-Main)", dt.datetime(2025, 11, 16, 17, 30),
                             schedule_index=31),
        B_MAIN: it.EventRace(B_MAIN, "Main Events", 10, "1/8 Nitro Buggy", "1/8 Nitro Buggy B-Main",
                             "Race 10: 1/8 Nitro Buggy (1/8 Nitro Buggy B-Main)", dt.datetime(2025, 11, 16, 16, 2),
                             schedule_index=27),
    }
    return it.Event(SLUG, EVENT_ID, "Cormcc 2025 Rudi Wensing Memorial, Clay Cup", "Canberra Off Road Model Car Club",
                    dt.date(2025, 11, 16), dt.date(2025, 11, 16), races=[rows[r] for r in race_ids or rows],
                    race_track="Offroad", entries=71, drivers=60, total_race_laps=4129)


def count(conn, table: str, where: str = "TRUE") -> int:
    return conn.execute(f"SELECT count(*) FROM mre.{table} WHERE {where}").fetchone()[0]  # noqa: S608 - test text


def test_race_page_stores_every_result_and_lap(pg_conn, parse_race):
    race = parse_race(A_MAIN)
    counts = Store(pg_conn).write_page(race, url=race_url(A_MAIN), page_type="race_result")
    printed_laps = sum(r.laps or 0 for r in race.results)  # the Laps/Time column
    assert counts.by_table["race_results"] == [12, 0, 0]
    assert counts.by_table["laps"] == [printed_laps, 0, 0]
    assert count(pg_conn, "race_results", f"race_id = {A_MAIN}") == 12
    assert count(pg_conn, "laps", f"race_id = {A_MAIN}") == printed_laps
    row = pg_conn.execute(
        "SELECT driver_name, laps, total_time::float8, fastest_lap::float8, fastest_lap_number, status "
        "FROM mre.race_results WHERE race_id = %s AND position = 1", (A_MAIN,)).fetchone()
    assert row == ("FELIX KOEGLER", 47, 1831.382, 37.234, 10, "finished")  # 47/30:31.382, 37.234<sup>10</sup>
    dns = pg_conn.execute("SELECT driver_id, status, driver_id_source FROM mre.race_results "
                          "WHERE race_id = %s AND position = 12", (A_MAIN,)).fetchone()
    assert dns == (731648, "did_not_start", "racer_laps")  # RILEY LANDER, id recovered from racerLaps
    assert pg_conn.execute("SELECT display_name, normalized_name FROM mre.drivers WHERE driver_id = 346997"
                           ).fetchone() == ("Felix Koegler", "felix koegler")
    assert pg_conn.execute("SELECT length_seconds, caption_tag, race_name, event_id FROM mre.races WHERE race_id = %s",
                           (A_MAIN,)).fetchone() == (1800, "M1 Race #14", "1/8 Nitro Buggy A-Main", EVENT_ID)


def test_rewriting_an_unchanged_race_changes_nothing(pg_conn, parse_race):
    store = Store(pg_conn)
    store.write_page(parse_race(A_MAIN), url=race_url(A_MAIN))
    stamp = "SELECT max(updated_at) FROM mre.{}"
    before = [pg_conn.execute(stamp.format(t)).fetchone()[0] for t in ("races", "race_results", "laps", "drivers")]
    again = store.write_page(parse_race(A_MAIN), url=race_url(A_MAIN))
    assert (again.inserted, again.updated, again.removed) == (0, 0, 0)
    after = [pg_conn.execute(stamp.format(t)).fetchone()[0] for t in ("races", "race_results", "laps", "drivers")]
    assert after == before


def test_a_changed_value_updates_exactly_that_row(pg_conn, parse_race):
    store = Store(pg_conn)
    store.write_page(parse_race(A_MAIN), url=race_url(A_MAIN))
    race = parse_race(A_MAIN)
    third = race.results[2]
    third.fastest_lap = round(third.fastest_lap - 0.5, 3)
    counts = store.write_page(race, url=race_url(A_MAIN))
    assert (counts.inserted, counts.updated, counts.removed) == (0, 1, 0)
    assert counts.by_table["race_results"] == [0, 1, 0]
    got = pg_conn.execute("SELECT fastest_lap::float8 FROM mre.race_results WHERE race_id = %s AND driver_id = %s",
                          (A_MAIN, third.driver_id)).fetchone()[0]
    assert got == third.fastest_lap


def test_null_or_empty_never_overwrites_a_good_value(pg_conn, parse_race):
    store = Store(pg_conn)
    store.write_page(parse_race(A_MAIN), url=race_url(A_MAIN))
    race = parse_race(A_MAIN)
    race.results[0].avg_top15 = None
    race.results[0].car_number = ""
    race.caption_tag = None
    race.results[0].lap_list[0].pace_raw = ""
    counts = store.write_page(race, url=race_url(A_MAIN))
    assert counts.changed == 0
    row = pg_conn.execute("SELECT avg_top15::float8, car_number FROM mre.race_results WHERE race_id = %s AND position = 1",
                          (A_MAIN,)).fetchone()
    assert row == (37.468, "1")
    assert pg_conn.execute("SELECT caption_tag FROM mre.races WHERE race_id = %s", (A_MAIN,)).fetchone()[0] == "M1 Race #14"


def test_a_result_row_gone_upstream_is_marked_removed_then_restored(pg_conn, parse_race):
    store = Store(pg_conn)
    store.write_page(parse_race(A_MAIN), url=race_url(A_MAIN))
    race = parse_race(A_MAIN)
    gone = race.results.pop(10)  # the 11th-placed finisher vanishes from the page
    counts = store.write_page(race, url=race_url(A_MAIN))
    assert counts.by_table["race_results"] == [0, 0, 1]
    assert counts.by_table["laps"] == [0, 0, gone.laps]
    assert count(pg_conn, "race_results", f"race_id = {A_MAIN}") == 12  # never deleted
    assert count(pg_conn, "race_results", f"driver_id = {gone.driver_id} AND removed_at IS NOT NULL") == 1
    assert store.write_page(race, url=race_url(A_MAIN)).changed == 0  # still gone: nothing more to do
    back = store.write_page(parse_race(A_MAIN), url=race_url(A_MAIN))
    assert back.by_table["race_results"] == [0, 1, 0] and back.by_table["laps"] == [0, gone.laps, 0]
    assert count(pg_conn, "race_results", "removed_at IS NOT NULL") == 0
    assert count(pg_conn, "laps", "removed_at IS NOT NULL") == 0


def test_a_race_gone_from_its_event_page_is_marked_removed(pg_conn):
    store = Store(pg_conn)
    first = store.write_page(event_486677(), url=EVENT_URL)
    assert first.by_table["races"] == [2, 0, 0] and first.by_table["events"] == [1, 0, 0]
    gone = store.write_page(event_486677(A_MAIN), url=EVENT_URL)
    assert gone.by_table["races"] == [0, 0, 1]
    assert pg_conn.execute("SELECT race_id FROM mre.races WHERE removed_at IS NOT NULL").fetchall() == [(B_MAIN,)]
    back = store.write_page(event_486677(), url=EVENT_URL)
    assert back.by_table["races"] == [0, 1, 0]
    assert count(pg_conn, "races", "removed_at IS NOT NULL") == 0


def test_race_page_before_its_event_page_creates_stubs_the_event_fills(pg_conn, parse_race):
    store = Store(pg_conn)
    store.write_page(parse_race(B_MAIN), url=race_url(B_MAIN))
    assert pg_conn.execute("SELECT name, track_slug FROM mre.events WHERE event_id = %s", (EVENT_ID,)
                           ).fetchone() == (None, SLUG)
    store.write_page(event_486677(), url=EVENT_URL)
    assert pg_conn.execute("SELECT name FROM mre.events WHERE event_id = %s", (EVENT_ID,)).fetchone()[0] == (
        "Cormcc 2025 Rudi Wensing Memorial, Clay Cup")
    row = pg_conn.execute("SELECT race_number, class_name, class_key, length_seconds, round_name FROM mre.races "
                          "WHERE race_id = %s", (B_MAIN,)).fetchone()
    assert row == (10, "1/8 Nitro Buggy", "1/8 nitro buggy", 1200, "Main Events")
    # neither page undoes the other: both re-crawled, nothing changes
    assert store.write_page(parse_race(B_MAIN), url=race_url(B_MAIN)).changed == 0
    assert store.write_page(event_486677(), url=EVENT_URL).changed == 0


def test_dashboard_address_gives_the_zone_and_races_get_utc(pg_conn, dashboard):
    store = Store(pg_conn)
    store.write_page(event_486677(), url=EVENT_URL)  # before the dashboard: zone unknown
    assert pg_conn.execute("SELECT completed_utc, time_flag FROM mre.races WHERE race_id = %s", (A_MAIN,)
                           ).fetchone() == (None, "no_zone")
    store.write_page(dashboard, url=DASHBOARD_URL)
    assert pg_conn.execute("SELECT time_zone, time_zone_source FROM mre.tracks WHERE slug = %s", (SLUG,)
                           ).fetchone() == ("Australia/Sydney", "address")  # Narrabundah 02604, AU
    utc, zone, local, flag = pg_conn.execute(
        "SELECT completed_utc, time_zone, completed_local, time_flag FROM mre.races WHERE race_id = %s", (A_MAIN,)
    ).fetchone()
    assert (zone, local, flag) == ("Australia/Sydney", dt.datetime(2025, 11, 16, 17, 30), None)
    assert utc == dt.datetime(2025, 11, 16, 6, 30, tzinfo=dt.timezone.utc)  # 5:30pm AEDT
    assert store.write_page(dashboard, url=DASHBOARD_URL).changed == 0
    # a later event page is timed at once with the known zone
    assert store.write_page(event_486677(), url=EVENT_URL).changed == 0


def test_a_zone_override_is_never_overwritten_by_a_crawl(pg_conn, dashboard):
    store = Store(pg_conn)
    store.write_page(dashboard, url=DASHBOARD_URL)
    store.write_page(event_486677(), url=EVENT_URL)
    assert set_track_zone(pg_conn, SLUG, "Australia/Perth") == 2  # both races re-timed
    store.write_page(dashboard, url=DASHBOARD_URL)
    assert pg_conn.execute("SELECT time_zone, time_zone_source FROM mre.tracks WHERE slug = %s", (SLUG,)
                           ).fetchone() == ("Australia/Perth", "override")
    utc = pg_conn.execute("SELECT completed_utc FROM mre.races WHERE race_id = %s", (A_MAIN,)).fetchone()[0]
    assert utc == dt.datetime(2025, 11, 16, 9, 30, tzinfo=dt.timezone.utc)  # 5:30pm AWST (UTC+8)


def test_quarantine_keeps_body_reason_and_raw_fields(pg_conn, liverc):
    body = liverc["race-6304829.html"].body
    store = Store(pg_conn)
    store.quarantine(race_url(A_MAIN), "race_result", body, "results table missing", raw={"caption": "x"})
    store.quarantine(race_url(A_MAIN), "race_result", body, "results table missing", raw={"caption": "x"})
    rows = pg_conn.execute("SELECT body, body_sha256, reason, raw, attempts, resolved_at, page_type "
                           "FROM mre.quarantine").fetchall()
    assert len(rows) == 1  # one open entry per URL and item, attempts counted
    stored, sha, reason, raw, attempts, resolved, page_type = rows[0]
    assert bytes(stored) == body and sha == hashlib.sha256(body).hexdigest()
    assert (reason, raw, attempts, resolved, page_type) == ("results table missing", {"caption": "x"}, 2, None,
                                                            "race_result")


def test_a_page_stored_later_resolves_its_quarantine_entry(pg_conn, parse_race, liverc):
    store = Store(pg_conn)
    store.quarantine(race_url(A_MAIN), "race_result", liverc["race-6304829.html"].body, "parser bug")
    store.write_page(parse_race(A_MAIN), url=race_url(A_MAIN))
    assert count(pg_conn, "quarantine", "resolved_at IS NOT NULL") == 1


def test_batched_flush_writes_all_pages_in_one_go_and_a_bad_page_alone_goes_to_quarantine(pg_conn, parse_race,
                                                                                           dashboard):
    store = Store(pg_conn, batch_size=10)
    bad = parse_race(A_MAIN)
    bad.race_id = 999_999_999
    bad.race_number = 2**40  # out of range for the integer column: the database refuses this page
    pages = [(dashboard, DASHBOARD_URL), (event_486677(), EVENT_URL), (parse_race(A_MAIN), race_url(A_MAIN)),
             (bad, race_url(999_999_999)), (parse_race(B_MAIN), race_url(B_MAIN))]
    for item, url in pages:
        assert store.write_page(item, url=url).changed == 0  # buffered
    counts = store.flush()
    assert counts.pages == 4 and counts.quarantined == 1
    assert count(pg_conn, "race_results") == 24 and count(pg_conn, "races") == 2
    reason = pg_conn.execute("SELECT reason FROM mre.quarantine WHERE url = %s", (race_url(999_999_999),)).fetchone()[0]
    assert reason.startswith("store failed: ")
    # the same pages again, batched: nothing changes
    for item, url in pages[:3] + pages[4:]:
        store.write_page(copy.deepcopy(item), url=url)
    assert store.flush().changed == 0


def test_entry_list_is_stored_and_idempotent(pg_conn, liverc):
    page = liverc["entry-list-silverstate-2025-silver-state.html"]
    url = "https://silverstate.liverc.com/results/?p=view_entry_list&id=424242"  # the real id is not recoverable
    entry_list = parse_page(page.body, url, "entry_list", {"track_slug": "silverstate", "event_id": 424242}).item
    store = Store(pg_conn)
    store.write_page(entry_list, url=url)
    # the page's Event Stats: Entries 724, Drivers 263; 18 class tabs
    assert count(pg_conn, "entries") == 724 and count(pg_conn, "entry_list_classes") == 18
    assert pg_conn.execute("SELECT total_entries, total_drivers FROM mre.entry_lists").fetchone() == (724, 263)
    assert pg_conn.execute("SELECT transponder FROM mre.entries WHERE name_key = 'richard bratton' "
                           "AND class_name = '40+ Electric Buggy'").fetchone() == ("3326002",)
    entry_list = parse_page(page.body, url, "entry_list", {"track_slug": "silverstate", "event_id": 424242}).item
    assert store.write_page(entry_list, url=url).changed == 0
    entry_list.entries = entry_list.entries[1:]
    assert store.write_page(entry_list, url=url).by_table["entries"] == [0, 0, 1]


def test_entry_list_without_event_id_goes_to_quarantine(pg_conn):
    url = "https://silverstate.liverc.com/results/?p=view_entry_list&id=1"
    counts = Store(pg_conn).write_page(it.EntryList("silverstate", None), url=url, page_type="entry_list")
    assert counts.quarantined == 1 and count(pg_conn, "entry_lists") == 0


def test_points_table_is_stored_and_idempotent(pg_conn, liverc):
    page = liverc["qual-points-psycho-nitro-blast-2026.html"]
    url = "https://psycho.liverc.com/results/?p=view_points&id=555"
    meta = {"track_slug": "psycho", "points_id": 555, "event_id": 777}
    table = parse_page(page.body, url, "qual_points", meta).item
    store = Store(pg_conn)
    store.write_page(table, url=url)
    assert count(pg_conn, "points_rows") == len(table.rows)
    assert count(pg_conn, "points_rounds") == sum(len(r.rounds) for r in table.rows)
    assert pg_conn.execute("SELECT caption FROM mre.points_tables").fetchone() == ("Qual Points (best 1 of 2)",)
    assert store.write_page(parse_page(page.body, url, "qual_points", meta).item, url=url).changed == 0


def test_runs_and_fetches_are_recorded(pg_conn, parse_race):
    store = Store(pg_conn)
    run_id = store.start_run("event", {"event_id": EVENT_ID})
    store.record_fetch(race_url(A_MAIN), "race_result", 200, "aa", 159891, False)
    store.write_page(parse_race(A_MAIN), url=race_url(A_MAIN), body_sha256="aa")
    store.record_fetch(race_url(A_MAIN), "race_result", 200, "aa", 159891, True)
    # A later fetch of another body whose rows were never written: fetched, but not stored.
    store.record_fetch(race_url(A_MAIN), "race_result", 200, "bb", 159000, False)
    store.finish_run(run_id, {"downloader/request_count": 3}, "finished")
    assert store.stored_hashes([race_url(A_MAIN), race_url(B_MAIN)]) == {race_url(A_MAIN): "aa"}
    assert pg_conn.execute("SELECT fetch_count, body_sha256, from_cache, changed_at > first_fetched_at "
                           "FROM mre.fetched_pages").fetchone() == (3, "bb", False, True)
    run = pg_conn.execute("SELECT spider, args, pages, rows_inserted, stats, finish_reason FROM mre.crawl_runs"
                          ).fetchone()
    assert run[:3] == ("event", {"event_id": EVENT_ID}, 1)
    assert run[3] == store.totals.inserted > 0
    assert run[4] == {"downloader/request_count": 3} and run[5] == "finished"


def test_tracks_commands_set_timezone_and_list(pg_conn, pg_url, monkeypatch, capsys, dashboard):
    from mre_crawler.cli import main

    Store(pg_conn).write_page(event_486677(), url=EVENT_URL)
    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    assert main(["tracks", "list"]) == 0
    captured = capsys.readouterr()
    assert "UNKNOWN" in captured.out and f"{SLUG}: time zone unknown" in captured.err
    assert main(["tracks", "set-timezone", "CanberraOffRoad", "Australia/Sydney"]) == 0
    assert "2 race times recomputed" in capsys.readouterr().out
    assert main(["tracks", "list"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith(SLUG))
    assert line.split() == [SLUG, "Australia/Sydney", "override", "1", "2", "0"]


def test_events_hold_practice_days_in_their_own_text_namespace(pg_conn):
    import psycopg

    Store(pg_conn).write_page(event_486677(), url=EVENT_URL)
    pg_conn.execute("INSERT INTO mre.events (source_event_id, source, track_slug, name, date_start) "
                    "VALUES ('canberraoffroad-practice-2025-10-25', 'practice', 'canberraoffroad', 'Practice', "
                    "'2025-10-25')")
    assert pg_conn.execute("SELECT source_event_id, source, event_id FROM mre.events ORDER BY source").fetchall() == [
        (str(EVENT_ID), "liverc", EVENT_ID), ("canberraoffroad-practice-2025-10-25", "practice", None)]
    for bad in ("('999', 'practice', NULL)", "('canberraoffroad-practice-x', 'liverc', 5)"):
        with pytest.raises(psycopg.errors.CheckViolation):
            pg_conn.execute(f"INSERT INTO mre.events (source_event_id, source, event_id, track_slug) "  # noqa: S608
                            f"VALUES {bad[:-1]}, 'canberraoffroad')")


def test_stored_marker_commits_with_the_rows_not_with_the_fetch(pg_conn, parse_race):
    """A fetch record alone never makes a page look stored (a kill between the two lost rows)."""
    store = Store(pg_conn, batch_size=2)
    store.start_run("event", {})
    store.record_fetch(race_url(A_MAIN), "race_result", 200, "aa", 10, False)
    store.record_fetch(race_url(B_MAIN), "race_result", 200, "bb", 10, False)
    store.write_page(parse_race(A_MAIN), url=race_url(A_MAIN), body_sha256="aa")  # buffered, not flushed
    assert store.stored_hashes([race_url(A_MAIN), race_url(B_MAIN)]) == {}
    assert count(pg_conn, "race_results") == 0
    store.write_page(parse_race(B_MAIN), url=race_url(B_MAIN), body_sha256="bb")  # flushes both
    assert store.stored_hashes([race_url(A_MAIN), race_url(B_MAIN)]) == {race_url(A_MAIN): "aa", race_url(B_MAIN): "bb"}
    stored = pg_conn.execute("SELECT count(DISTINCT race_id) FROM mre.race_results").fetchone()[0]
    assert stored == 2


def test_a_failed_page_is_not_marked_stored(pg_conn, parse_race):
    store = Store(pg_conn)
    store.start_run("event", {})
    race = parse_race(A_MAIN)
    # A row the database refuses (a lap time beyond numeric's range) fails the page's transaction.
    bad = dataclasses.replace(race, results=[dataclasses.replace(race.results[0], laps=2**40)] + race.results[1:])
    counts = store.write_page(bad, url=race_url(A_MAIN), body_sha256="aa")
    assert counts.quarantined == 1
    assert store.stored_hashes([race_url(A_MAIN)]) == {}


def test_the_next_run_closes_a_dead_run_as_aborted(pg_url, pg_conn):
    import psycopg

    dead = psycopg.connect(pg_url, autocommit=True)
    dead_run = Store(dead).start_run("event", {})
    alive = psycopg.connect(pg_url, autocommit=True)
    alive_store = Store(alive)
    alive_run = alive_store.start_run("track", {})
    dead_pid = dead.info.backend_pid
    dead.close()  # what a kill -9 does to the run's connection: its advisory lock is gone
    # The server ends the backend (and drops its lock) a moment after the client goes; on a busy
    # machine that moment can outlast the next statement.
    import time

    for _ in range(200):
        if not pg_conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (dead_pid,)).fetchone():
            break
        time.sleep(0.05)
    Store(pg_conn).start_run("event", {})
    rows = dict(pg_conn.execute("SELECT run_id, finish_reason FROM mre.crawl_runs").fetchall())
    assert rows[dead_run] == "aborted"
    assert rows[alive_run] is None  # still running elsewhere: left open
    alive_store.finish_run(alive_run, {}, "finished")
    alive.close()
    assert pg_conn.execute("SELECT finish_reason FROM mre.crawl_runs WHERE run_id = %s",
                           (alive_run,)).fetchone() == ("finished",)


def write_while_copy_waits(pg_url, pg_conn, race, other) -> dict:
    """Store ``race`` on a connection of its own until its COPY waits on a key the ``other``
    (open) transaction inserted; then commit ``other``; the write's counts as ``done["counts"]``."""
    import threading

    import psycopg

    done: dict = {}

    def write() -> None:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            done["counts"] = Store(conn).write_page(race, url=race_url(A_MAIN), page_type="race_result")

    writer = threading.Thread(target=write)
    writer.start()
    deadline = time.monotonic() + 30
    # Until the store's COPY waits on the other transaction's key.
    waiting = 0
    while time.monotonic() < deadline and not waiting:
        time.sleep(0.01)
        waiting = pg_conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'COPY%%'").fetchone()[0]
    assert waiting, "the store's COPY never waited on the other transaction's key"
    other.commit()
    other.close()
    writer.join(timeout=30)
    return done


def test_first_laps_copied_straight_in_fall_back_to_the_upsert_when_another_writer_got_there_first(
        pg_url, pg_conn, parse_race):
    """A race's first laps go into mre.laps by COPY; when another transaction inserts laps of the same
    race meanwhile (committed while this COPY waits on the key), the COPY is rolled back to its
    savepoint and the laps are upserted: every lap stored once, no page quarantined."""
    import psycopg

    race = parse_race(A_MAIN)
    first = race.results[0]
    lap = first.lap_list[0]
    other = psycopg.connect(pg_url)  # a transaction of its own, held open
    other.execute("INSERT INTO mre.laps (race_id, driver_id, lap_number, lap_time) VALUES (%s, %s, %s, %s)",
                  (A_MAIN, first.driver_id, lap.lap_number, lap.lap_time))
    done = write_while_copy_waits(pg_url, pg_conn, race, other)
    printed_laps = sum(r.laps or 0 for r in race.results)
    inserted, updated, removed = done["counts"].by_table["laps"]
    assert inserted == printed_laps - 1 and removed == 0  # the other writer's lap was there (updated or equal)
    assert count(pg_conn, "laps", f"race_id = {A_MAIN}") == printed_laps
    assert count(pg_conn, "quarantine", "true") == 0


def test_first_results_copied_straight_in_fall_back_to_the_upsert_when_another_writer_got_there_first(
        pg_url, pg_conn, parse_race):
    """A race's first results go into mre.race_results by COPY; when another transaction inserts a
    result of the same race meanwhile (committed while this COPY waits on the key), the COPY is
    rolled back to its savepoint and the results are upserted: every result stored once with the
    page's values, no page quarantined. The race's row was stored before (an event page), so it is
    upserted, not copied."""
    import psycopg

    race = parse_race(A_MAIN)
    first = race.results[0]
    pg_conn.execute("INSERT INTO mre.tracks (slug) VALUES (%s)", (SLUG,))
    pg_conn.execute("INSERT INTO mre.races (race_id, track_slug) VALUES (%s, %s)", (A_MAIN, SLUG))
    pg_conn.execute("INSERT INTO mre.drivers (driver_id) VALUES (%s)", (first.driver_id,))
    pg_conn.commit()
    other = psycopg.connect(pg_url)  # a transaction of its own, held open
    other.execute("INSERT INTO mre.race_results (race_id, driver_id, position, status) VALUES (%s, %s, %s, %s)",
                  (A_MAIN, first.driver_id, 99, "stopped_early"))
    done = write_while_copy_waits(pg_url, pg_conn, race, other)
    printed = len([r for r in race.results if r.driver_id is not None])
    inserted, updated, removed = done["counts"].by_table["race_results"]
    assert (inserted, updated, removed) == (printed - 1, 1, 0)
    assert count(pg_conn, "race_results", f"race_id = {A_MAIN}") == printed
    assert pg_conn.execute("SELECT position, status FROM mre.race_results WHERE race_id = %s AND driver_id = %s",
                           (A_MAIN, first.driver_id)).fetchone() == (first.position, first.status)
    assert count(pg_conn, "laps", f"race_id = {A_MAIN}") == sum(r.laps or 0 for r in race.results)
    assert count(pg_conn, "quarantine", "true") == 0


def test_tracks_resolve_zones_re_resolves_stored_zones_after_an_upgrade(pg_conn, pg_url, monkeypatch, capsys, dashboard):
    """A track stored by an older install with no zone (its races without a UTC instant) or with an
    old one gets the zone this install's resolver gives its stored address from
    ``mre tracks resolve-zones``, its races re-timed; a person's override is left alone."""
    from zoneinfo import ZoneInfo

    from mre_crawler.cli import main
    from mre_crawler.timezones import zone_from_address

    store = Store(pg_conn)
    store.write_page(event_486677(), url=EVENT_URL)
    store.write_page(dashboard, url=f"https://{SLUG}.liverc.com/")
    expected = zone_from_address(dashboard.country_code, dashboard.country, dashboard.region, dashboard.postcode,
                                 dashboard.city)
    assert expected.zone
    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    for old in (None, "Pacific/Auckland"):  # as an older resolver left it
        pg_conn.execute("UPDATE mre.tracks SET time_zone = %s, time_zone_source = NULL WHERE slug = %s", (old, SLUG))
        pg_conn.commit()
        recompute_track_times(pg_conn, SLUG)
        assert main(["tracks", "resolve-zones"]) == 0
        out = capsys.readouterr().out
        assert f"{SLUG}: time zone {old or 'none'} -> {expected.zone}; 2 race times recomputed" in out
        assert pg_conn.execute("SELECT time_zone, time_zone_source FROM mre.tracks WHERE slug = %s",
                               (SLUG,)).fetchone() == (expected.zone, expected.source)
        for local, utc in pg_conn.execute("SELECT completed_local, completed_utc FROM mre.races WHERE track_slug = %s",
                                          (SLUG,)).fetchall():
            assert utc == local.replace(tzinfo=ZoneInfo(expected.zone))
    assert main(["tracks", "resolve-zones"]) == 0 and "0 tracks changed" in capsys.readouterr().out
    assert main(["tracks", "set-timezone", SLUG, "Asia/Tokyo"]) == 0
    assert main(["tracks", "resolve-zones"]) == 0 and "0 tracks changed" in capsys.readouterr().out
    assert pg_conn.execute("SELECT time_zone FROM mre.tracks WHERE slug = %s", (SLUG,)).fetchone() == ("Asia/Tokyo",)


def test_upsert_stages_are_reused_per_session_and_start_empty(pg_conn):
    """upsert_rows keeps one temporary stage per spec for the session (ON COMMIT DELETE ROWS):
    two upserts of one spec in one transaction each write their own rows, rows staged in a
    rolled-back transaction are never written later, and outside a transaction it refuses
    (each statement would commit and empty the stage under the COPY)."""
    from mre_crawler.store import DRIVERS, TRACK_STUB, upsert_rows

    cur = pg_conn.cursor()
    with pytest.raises(RuntimeError):
        upsert_rows(cur, DRIVERS, [(1, "A One", "a one", "A ONE")])
    with pg_conn.transaction():
        assert upsert_rows(cur, DRIVERS, [(1, "A One", "a one", "A ONE")]) == (1, 0)
        assert upsert_rows(cur, DRIVERS, [(2, "B Two", "b two", "B TWO")]) == (1, 0)
    with pytest.raises(ZeroDivisionError):
        with pg_conn.transaction():
            assert upsert_rows(cur, DRIVERS, [(3, "C Three", "c three", "C THREE")]) == (1, 0)
            assert upsert_rows(cur, TRACK_STUB, [("gone",)]) == (1, 0)  # its stage made here, rolled back
            1 / 0
    with pg_conn.transaction():
        assert upsert_rows(cur, DRIVERS, [(1, "A Uno", "a uno", "A UNO")]) == (0, 1)
        assert upsert_rows(cur, TRACK_STUB, [("kept",)]) == (1, 0)
    assert pg_conn.execute("SELECT slug FROM mre.tracks").fetchall() == [("kept",)]
    assert pg_conn.execute("SELECT driver_id, display_name FROM mre.drivers ORDER BY 1").fetchall() == [
        (1, "A Uno"), (2, "B Two")]
