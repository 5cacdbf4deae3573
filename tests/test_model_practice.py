"""Practice statistics marts over a few hand-made practice rows in an in-memory DuckDB, one test
per statistic (the rules are in the model headers: sql/models/*/.*practice*.sql)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pytest

from warehouse.models import discover_models
from warehouse.runner import SQL_DIR, run_models, with_dependencies

DAY = dt.date(2025, 11, 16)
DAY_ID = "pdk-practice-2025-11-16"
T0 = dt.datetime(2025, 11, 16, 9, 0)

COLUMNS = {
    "stg_practice_days": {
        "source_event_id": "varchar", "track_slug": "varchar", "practice_date": "date", "time_zone": "varchar",
        "panel_total_laps": "integer", "panel_total_track_time_seconds": "integer",
        "panel_unique_drivers": "integer", "panel_unique_classes": "integer",
    },
    "stg_practice_sessions": {
        "session_id": "bigint", "source_event_id": "varchar", "track_slug": "varchar", "practice_date": "date",
        "driver_name": "varchar", "driver_key": "varchar", "class_name": "varchar", "class_key": "varchar",
        "transponder": "varchar", "start_local": "timestamp", "end_local": "timestamp", "end_estimated": "boolean",
        "laps": "integer", "length_seconds": "double", "fastest_lap": "double", "avg_lap": "double",
        "top3_consecutive": "double", "std_deviation": "double", "consistency_pct": "double",
    },
    "stg_practice_laps": {
        "session_id": "bigint", "lap_number": "integer", "lap_time": "double", "end_local": "timestamp",
        "is_valid": "boolean",
    },
}
MARTS = ["mart_practice_days", "mart_practice_driver_days", "mart_practice_class_days",
         "mart_practice_driver_track_trend"]


def session(session_id: int, driver: str | None, laps: list[float | None] | None = None, *, minutes: int = 0,
            day: dt.date = DAY, cls: str = "1/10 Buggy", invalid: tuple[int, ...] = (), **extra: Any) -> dict:
    """A session with its laps (lap numbers from 1); ``invalid`` lap numbers are flagged invalid."""
    start = dt.datetime.combine(day, dt.time(9, 0)) + dt.timedelta(minutes=minutes)
    laps = laps or []
    return {
        "row": {
            "session_id": session_id, "source_event_id": f"pdk-practice-{day.isoformat()}", "track_slug": "pdk",
            "practice_date": day, "driver_name": driver.title() if driver else "Unknown Driver",
            "driver_key": driver, "class_name": cls, "class_key": cls.lower(), "transponder": f"T{session_id}",
            "start_local": start, "end_local": start + dt.timedelta(seconds=sum(x or 0 for x in laps)),
            "end_estimated": False, "laps": len(laps), **extra,
        },
        "laps": [
            {"session_id": session_id, "lap_number": n, "lap_time": t, "is_valid": n not in invalid}
            for n, t in enumerate(laps, start=1)
        ],
    }


def build(sessions: list[dict], days: list[dt.date] = (DAY,)) -> dict[str, list[dict]]:
    con = duckdb.connect()
    rows = {
        "stg_practice_days": [{"source_event_id": f"pdk-practice-{d.isoformat()}", "track_slug": "pdk",
                               "practice_date": d} for d in days],
        "stg_practice_sessions": [s["row"] for s in sessions],
        "stg_practice_laps": [lap for s in sessions for lap in s["laps"]],
    }
    for table, cols in COLUMNS.items():
        con.execute(f"create table {table} ({', '.join(f'{c} {t}' for c, t in cols.items())})")
        for row in rows[table]:
            con.execute(f"insert into {table} values ({', '.join('?' for _ in cols)})", [row.get(c) for c in cols])
    models = [m for m in with_dependencies(discover_models(SQL_DIR / "models"), MARTS) if m.layer != "staging"]
    run_models(con, models)
    out = {}
    for mart in MARTS:
        rel = con.sql(f"select * from {mart}")
        out[mart] = [dict(zip(rel.columns, r)) for r in rel.fetchall()]
    con.close()
    return out


def driver_day(out: dict, driver: str, day: dt.date = DAY) -> dict:
    [row] = [r for r in out["mart_practice_driver_days"] if r["driver_key"] == driver and r["practice_date"] == day]
    return row


def test_day_counts_sessions_laps_track_time_drivers_and_classes():
    out = build([
        session(1, "greg rosander", [30.0, 31.0, 32.0]),
        session(2, "greg rosander", [29.0, 30.0], minutes=30, cls="1/8 Nitro Buggy"),
        session(3, None, [40.0], minutes=60),  # Unknown Driver: laps count, the driver does not
        session(4, "mia buran", [33.0, 99.0], minutes=90, invalid=(2,)),  # an invalid lap: time yes, lap no
    ])
    [day] = out["mart_practice_days"]
    assert (day["sessions"], day["laps"], day["unique_drivers"], day["unique_classes"]) == (4, 7, 2, 2)
    assert day["track_time_seconds"] == pytest.approx(30 + 31 + 32 + 29 + 30 + 40 + 33 + 99)
    assert day["first_start_local"] == T0
    # the last END: session 4 started 10:30 and ran 132 s
    assert day["last_end_local"] == T0 + dt.timedelta(minutes=90, seconds=132)


def test_a_day_without_sessions_is_still_a_row_of_zeros():
    [day] = build([])["mart_practice_days"]
    assert (day["sessions"], day["laps"], day["unique_drivers"], day["first_start_local"]) == (0, 0, 0, None)


def test_driver_day_sessions_and_valid_laps():
    out = build([session(1, "greg rosander", [30.0, 31.0, 32.0], invalid=(3,)), session(2, "greg rosander", [29.0], minutes=30)])
    row = driver_day(out, "greg rosander")
    assert (row["sessions"], row["laps"]) == (2, 3)


def test_best_lap_ignores_invalid_laps():
    out = build([session(1, "greg rosander", [30.0, 12.5, 31.0], invalid=(2,))])
    assert driver_day(out, "greg rosander")["best_lap"] == 30.0


@pytest.mark.parametrize(
    "laps, invalid, best3",
    [
        ([30.0, 31.0, 32.0, 29.0, 28.0], (), 29.0 + 28.0 + 32.0),  # the best window: laps 3-5
        ([30.0, 31.0, 20.0, 29.0, 28.0, 33.0], (3,), 28.0 + 29.0 + 33.0),  # an invalid lap breaks a run
        ([30.0, 31.0], (), None),  # fewer than three laps: none
    ],
    ids=["lowest-window", "invalid-lap-breaks-the-run", "too-few-laps"],
)
def test_best_three_consecutive_laps(laps, invalid, best3):
    out = build([session(1, "greg rosander", laps, invalid=invalid)])
    assert driver_day(out, "greg rosander")["best_3_consecutive"] == pytest.approx(best3) if best3 else \
        driver_day(out, "greg rosander")["best_3_consecutive"] is None


def test_best_three_consecutive_never_spans_two_sessions():
    # 29+28 end session 1 and 27 starts session 2: 84 would be a cross-session "run"
    out = build([session(1, "greg rosander", [35.0, 29.0, 28.0]), session(2, "greg rosander", [27.0, 36.0, 36.0], minutes=30)])
    assert driver_day(out, "greg rosander")["best_3_consecutive"] == pytest.approx(min(35 + 29 + 28, 27 + 36 + 36))


def test_average_is_lap_weighted_over_the_day():
    out = build([session(1, "greg rosander", [30.0, 30.0, 30.0]), session(2, "greg rosander", [34.0], minutes=30)])
    assert driver_day(out, "greg rosander")["avg_lap"] == pytest.approx(31.0)  # not (30 + 34) / 2


def test_consistency_is_one_minus_the_coefficient_of_variation():
    out = build([session(1, "greg rosander", [30.0, 32.0]), session(2, "mia buran", [30.0, 30.0, 30.0])])
    # sd 1.0 over mean 31.0 -> 96.77 %; identical laps -> 100 %
    assert driver_day(out, "greg rosander")["consistency_pct"] == pytest.approx(96.77)
    assert driver_day(out, "mia buran")["consistency_pct"] == 100.0


def test_improvement_is_first_session_best_minus_last_session_best():
    out = build([
        session(2, "greg rosander", [31.0, 30.5], minutes=60),  # last by start time, though id 2
        session(1, "greg rosander", [32.0, 31.5]),
        session(3, "greg rosander", [30.0], minutes=30),  # middle sessions do not count
        session(4, "mia buran", [30.0]),
    ])
    row = driver_day(out, "greg rosander")
    assert (row["first_session_best_lap"], row["last_session_best_lap"]) == (31.5, 30.5)
    assert row["improvement_seconds"] == pytest.approx(1.0)
    assert row["improvement_pct"] == pytest.approx(3.17)
    assert driver_day(out, "mia buran")["improvement_seconds"] is None  # one session


def test_unknown_driver_sessions_are_nobodys_driver_day():
    out = build([session(1, None, [30.0])])
    assert out["mart_practice_driver_days"] == []


def test_class_day_counts_drivers_and_names_the_fastest():
    out = build([
        session(1, "greg rosander", [30.0, 29.0]),
        session(2, "mia buran", [28.5, 31.0], minutes=10),
        session(3, "jeff reynolds", [33.0], minutes=20),
        session(4, "greg rosander", [40.0], minutes=30, cls="Stock Truck"),
    ])
    rows = {r["class_key"]: r for r in out["mart_practice_class_days"]}
    buggy = rows["1/10 buggy"]
    assert (buggy["sessions"], buggy["drivers"], buggy["laps"]) == (3, 3, 5)
    assert (buggy["best_lap"], buggy["best_lap_driver_name"]) == (28.5, "Mia Buran")
    assert buggy["avg_lap"] == pytest.approx((30 + 29 + 28.5 + 31 + 33) / 5)
    assert buggy["median_driver_best_lap"] == 29.0
    assert rows["stock truck"]["drivers"] == 1


def test_driver_track_trend_over_practice_days():
    days = [dt.date(2025, 10, 1), dt.date(2025, 10, 31), dt.date(2025, 11, 30)]
    out = build(
        [session(i + 1, "greg rosander", [best, best + 1], day=d) for i, (d, best) in enumerate(zip(days, [31.0, 30.0, 30.4]))],
        days=days,
    )
    rows = sorted(out["mart_practice_driver_track_trend"], key=lambda r: r["practice_date"])
    assert [r["day_number"] for r in rows] == [1, 2, 3]
    assert [r["personal_best_to_date"] for r in rows] == [31.0, 30.0, 30.0]
    assert rows[0]["change_from_previous_day"] is None
    assert [round(r["change_from_previous_day"], 2) for r in rows[1:]] == [-1.0, 0.4]
    assert round(rows[2]["change_from_first_day"], 2) == -0.6
    # least-squares slope of (0, 31.0), (30, 30.0), (60, 30.4) per day, times 30 days
    assert rows[0]["trend_seconds_per_30_days"] == pytest.approx(-0.3)


def test_summary_figures_stand_in_when_laps_were_not_read():
    s = session(1, "greg rosander", [])
    s["row"].update(laps=12, fastest_lap=29.5, top3_consecutive=90.1, avg_lap=31.0, length_seconds=372)
    out = build([s])
    row = driver_day(out, "greg rosander")
    assert (row["laps"], row["best_lap"], row["best_3_consecutive"], row["avg_lap"]) == (12, 29.5, 90.1, 31.0)
    assert out["mart_practice_days"][0]["track_time_seconds"] == 372
