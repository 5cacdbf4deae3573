"""``mre bench store``: the store alone, first write vs an unchanged re-write, race pages/s.

Builds synthetic race pages shaped like race-6304829.html (12 results, ~40 laps each, ~480 lap
rows a page) in memory, writes them in batches into a fresh schema-less scratch database on the
configured server (``MRE_DATABASE_URL`` or the embedded one), then writes them again. The crawl
target is >= 100 race pages/s end to end, so the store must take well under 10 ms a page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time
import uuid


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("store", help="PostgreSQL store: race pages/s and rows/s, first write and unchanged re-write")
    p.add_argument("--pages", type=int, default=1000, help="race pages to write (default 1000)")
    p.add_argument("--batch", type=int, default=50, help="pages per flush (default 50)")
    p.set_defaults(func=run)


def synthetic_race(race_id: int, event_id: int, drivers: int = 12, laps: int = 40):
    from mre_crawler import items as it

    results = []
    for pos in range(1, drivers + 1):
        lap_list = [it.Lap(n, round(38 + (pos * 7 + n * 13) % 50 / 10, 3), pos, f"{laps}/30:0{n % 10}.000")
                    for n in range(1, laps + 1)]
        total = round(sum(lap.lap_time for lap in lap_list), 3)
        results.append(it.RaceResult(
            pos, str(pos), 100_000 + pos, f"DRIVER NUMBER {pos}", pos, laps, total, 1.5 if pos > 1 else None, None,
            38.0, 5, 39.1, 38.5, 38.8, 39.0, 115.2, 0.8, 97.5, "finished", pos, lap_list=lap_list,
        ))
    return it.Race("benchtrack", event_id, race_id, 1, "1/10 Buggy A-Main", "Main Events", 300, "Timed", None, results)


def run(args: argparse.Namespace) -> int:
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    from mre_crawler.cli import UsageError
    from mre_crawler.db import connect, database_url
    from mre_crawler.store import Store
    from warehouse.migrate import migrate

    if args.pages < 1 or args.batch < 1:
        raise UsageError("--pages and --batch must be at least 1")
    url = database_url()
    name = f"mre_bench_{uuid.uuid4().hex[:8]}"
    with connect(url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        with psycopg.connect(make_conninfo(url, dbname=name), autocommit=True) as conn:
            migrate(conn)
            races = [synthetic_race(9_000_000 + i, 1) for i in range(args.pages)]
            rows_per_page = 1 + sum(1 + len(r.lap_list) for r in races[0].results)
            print(f"{args.pages} race pages, {rows_per_page} rows each, batches of {args.batch}")
            print(f"{'pass':<10}{'seconds':>9}{'pages/s':>10}{'rows/s':>11}{'rows written':>14}")
            for label in ("first", "unchanged"):
                store = Store(conn, batch_size=args.batch)
                t0 = time.perf_counter()
                for race in races:
                    store.write_page(race, url=f"https://benchtrack.liverc.com/results/?p=view_race_result&id={race.race_id}",
                                     page_type="race_result", fetched_at=dt.datetime.now(dt.timezone.utc))
                store.flush()
                secs = time.perf_counter() - t0
                if label == "first":
                    first_secs = secs
                written = store.totals.changed
                print(f"{label:<10}{secs:>9.2f}{args.pages / secs:>10.0f}{args.pages * rows_per_page / secs:>11.0f}"
                      f"{written:>14}")
            copy_secs = _copy_yardstick(conn, races)
            first_rate = args.pages * rows_per_page / first_secs
            copy_rate = args.pages * rows_per_page / copy_secs
            print(f"{'COPY':<10}{copy_secs:>9.2f}{args.pages / copy_secs:>10.0f}{copy_rate:>11.0f}"
                  f"{args.pages * rows_per_page:>14}")
            print(f"first write: {copy_rate / first_rate:.2f}x the time of a bare COPY of the same rows into the "
                  "same indexed tables (target: within 2x, >= 350k rows/s)")
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"peak memory (this process): {peak:.0f} MB")
    finally:
        with connect(url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    return 0


def _copy_yardstick(conn, races) -> float:
    """Seconds for a bare COPY of the pages' race, result and lap rows into the emptied, indexed
    tables (the hardware's limit for a first write; no merge, no checks). The tracks, events and
    drivers rows stay from the passes before (the foreign keys find them)."""
    from psycopg import sql

    from mre_crawler.store.specs import LAPS, RACES_FROM_PAGE, RESULTS

    cols = {spec.table: spec.columns for spec in (RACES_FROM_PAGE, RESULTS, LAPS)}
    conn.execute("TRUNCATE mre.laps, mre.race_results, mre.races CASCADE")  # a scratch database
    t0 = time.perf_counter()
    with conn.transaction():
        cur = conn.cursor()
        for table in ("races", "race_results", "laps"):
            stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier("mre", table), sql.SQL(", ").join(map(sql.Identifier, cols[table])))
            with cur.copy(stmt) as copy:
                for race in races:
                    if table == "races":
                        copy.write_row((race.race_id, race.track_slug, race.length_seconds, race.length_kind,
                                        race.caption_tag, race.event_id, race.race_number, race.race_name,
                                        race.round_name))
                    for res in race.results:
                        if table == "race_results":
                            copy.write_row((race.race_id, res.driver_id, res.position, res.car_number, res.driver_name,
                                            res.qual_position, res.grid_position, res.laps, res.total_time,
                                            res.behind_seconds, res.behind_laps, res.fastest_lap,
                                            res.fastest_lap_number, res.avg_lap, res.avg_top5, res.avg_top10,
                                            res.avg_top15, res.top2_consecutive, res.top3_consecutive,
                                            res.std_deviation, res.consistency, res.std_deviation_precise,
                                            res.consistency_precise, res.status, res.driver_id_source))
                        elif table == "laps":
                            for lap in res.lap_list:
                                copy.write_row((race.race_id, res.driver_id, lap.lap_number, lap.lap_time,
                                                lap.position, lap.pace_raw or None))
    return time.perf_counter() - t0
