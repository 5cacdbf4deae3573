"""A crawl of a generated practice site (served on 127.0.0.1, stored in PostgreSQL), then
`mre warehouse build` and `mre export parquet`: every practice lap of the generator's days is in
practice_laps.parquet with its session's track, day, class and driver keys and its local and UTC
end times, and every session is a practiceday race in mart_races."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import duckdb
import pytest

from mre_crawler.cli import main
from mre_crawler.commands.warehouse import build_from_postgres
from tests.test_practice_site import RANGES, TRACK, truth_days

pytestmark = [pytest.mark.db]


def _unambiguous(local: dt.datetime, zone: ZoneInfo) -> bool:
    """False for a wall-clock time a DST change repeats or skips (stored by a stated rule, flagged)."""
    a, b = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
    return a.utcoffset() == b.utcoffset()


def test_crawled_practice_days_export_every_lap_with_keys_and_local_and_utc_end_times(
        practice_site, serve, practice, pg_url, tmp_path):
    server = serve(practice_site)
    for first, last in RANGES:
        run = practice("ingest", TRACK, site=server.site, date_from=first, date_to=last)
        assert not run.failures
    warehouse = tmp_path / "warehouse.duckdb"
    assert build_from_postgres(warehouse, pg_url, publish_postgres=False)
    out = tmp_path / "parquet"
    assert main(["export", "parquet", str(out), "--path", str(warehouse)]) == 0

    truth = truth_days(practice_site, TRACK)
    sessions = {sid: s for _, (_, ss) in truth.items() for sid, s in ss.items()}
    assert sessions
    laps_file, races_file = out / "practice_laps.parquet", out / "mart_races.parquet"
    [(zone_name,)] = duckdb.execute(
        f"select distinct time_zone from '{laps_file}' where track_slug = ?", [TRACK]).fetchall()
    zone = ZoneInfo(zone_name)
    exported: dict[int, list[tuple]] = {}
    for row in duckdb.execute(
            f"select session_id, source_event_id, practice_date, class_name, driver_name, transponder, "
            f"lap_number, lap_time, end_local, end_utc from '{laps_file}' where track_slug = ? "
            f"order by session_id, lap_number", [TRACK]).fetchall():
        exported.setdefault(row[0], []).append(row[1:])
    assert set(exported) == set(sessions)
    checked_utc = 0
    for sid, s in sessions.items():
        day = next(d for d, (_, ss) in truth.items() if sid in ss)
        rows = exported[sid]
        assert [(r[5], r[6], r[7]) for r in rows] == [(lap.lap_number, lap.lap_time, lap.end_local)
                                                       for lap in s.laps], sid
        assert {r[:5] for r in rows} == {(f"{TRACK}-practice-{day.isoformat()}", day, s.class_name,
                                          s.driver_name, s.transponder)}, sid
        for r in rows:
            if _unambiguous(r[7], zone):
                assert r[8] == r[7].replace(tzinfo=zone), (sid, r)
                checked_utc += 1
    assert checked_utc > 0

    # every session is a practiceday race of its day, with its start and end, local and UTC
    races = {r[0]: r[1:] for r in duckdb.execute(
        f"select practice_session_id, race_key, session_type, session_kind, session_type_confidence, race_id, "
        f"event_id, event_date, start_local, end_local, start_utc, end_utc, end_estimated "
        f"from '{races_file}' where race_source = 'practice' and track_slug = ?", [TRACK]).fetchall()}
    assert set(races) == set(sessions)
    for sid, s in sessions.items():
        key, stype, kind, conf, race_id, event_id, _day, start, end, start_utc, end_utc, estimated = races[sid]
        assert (key, stype, kind, conf, race_id, event_id) == (f"practice-{sid}", "practiceday", "practiceday",
                                                               "high", None, None)
        assert (start, end, estimated) == (s.start_local, s.end_local, False), sid
        if _unambiguous(end, zone):
            assert end_utc == end.replace(tzinfo=zone), sid
        assert start_utc is not None and end_utc >= start_utc, sid
