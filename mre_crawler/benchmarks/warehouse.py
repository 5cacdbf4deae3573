"""``mre bench warehouse``: warehouse build time and Parquet export rows/s at three sizes.

Synthetic sources are generated straight into DuckDB with ``range()`` (no crawl, no HTML, no
PostgreSQL), shaped like the PostgreSQL tables of sql/postgres/0001_core.sql and 0030_practice.sql:
events of two classes, each with two qualifier rounds of two heats, a B- and an A-main, ten
drivers a race and ``laps_per_driver`` laps each. Then the real models and checks run (the build)
and every export is written as Parquet (the export). Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.models import Model, discover_models
from warehouse.runner import SQL_DIR, run_checks, run_models
from warehouse.settings import SETTINGS_SOURCE

RACES_PER_EVENT = 12  # 2 classes x (4 heats + B-main + A-main)
DRIVERS_PER_RACE = 10
LAPS_PER_DRIVER = 20
BASE_LAPS = 650_000  # 1x; 16x = 10.4M race laps


@dataclass
class BenchRow:
    scale: int
    race_laps: int
    source_rows: int
    generate_s: float
    build_s: float
    models: int
    export_rows: int
    export_s: float
    skipped: list[str] = field(default_factory=list)

    @property
    def export_rate(self) -> float:
        return self.export_rows / self.export_s if self.export_s else 0.0

    @property
    def build_rate(self) -> float:
        return self.race_laps / self.build_s if self.build_s else 0.0


def generate_sources(con: duckdb.DuckDBPyConnection, race_laps: int, seed: float = 0.42) -> dict[str, int]:
    """Create ``src_*`` tables holding about ``race_laps`` race laps; returns row counts."""
    laps_per_event = RACES_PER_EVENT * DRIVERS_PER_RACE * LAPS_PER_DRIVER
    events = max(1, race_laps // laps_per_event)
    tracks = max(1, events // 50)
    drivers = max(40, events * 2)
    con.execute(f"select setseed({seed})")
    con.execute(f"""
        create or replace table src_tracks as
        select 'track' || i as slug, 'Track' || i as slug_raw, 'Bench Track ' || i as name, null::varchar as city,
               null::varchar as region, null::varchar as postcode, 'United States' as country, 'US' as country_code,
               'America/New_York' as time_zone, 'address' as time_zone_source, null::bigint as lifetime_laps,
               null::bigint as lifetime_practice_sessions, null::bigint as lifetime_races,
               null::bigint as lifetime_entries, null::bigint as lifetime_events
        from range({tracks}) t(i)""")
    con.execute(f"""
        create or replace table src_events as
        select cast(e as varchar) as source_event_id, 'liverc' as source, e as event_id,
               'track' || (e % {tracks}) as track_slug, 'Bench Cup ' || e as name, null::varchar as track_name,
               date '2015-01-01' + cast(e * 3650 // {events} as integer) as date_start,
               date '2015-01-01' + cast(e * 3650 // {events} as integer) as date_end,
               'Offroad' as race_track, 20 as entries, 20 as drivers, null::integer as total_race_laps,
               null::timestamp as listed_start_local, null::boolean as listed_start_has_time,
               null::timestamptz as removed_at
        from range({events}) t(e)""")
    con.execute(f"""
        create or replace table src_races as
        with k as (
            select e, k, k // 6 as cls, k % 6 as j from range({events}) t(e), range({RACES_PER_EVENT}) r(k)
        )
        select e * {RACES_PER_EVENT} + k as race_id, e as event_id, 'track' || (e % {tracks}) as track_slug,
               case when j < 4 then 'Qualifier Round ' || (j // 2 + 1) else 'Main Events' end as round_name,
               k + 1 as race_number,
               case cls when 0 then '1/8 Nitro Buggy' else '1/10 Electric Truck' end as class_name,
               case cls when 0 then '1/8 nitro buggy' else '1/10 electric truck' end as class_key,
               case cls when 0 then '1/8 Nitro Buggy' else '1/10 Electric Truck' end ||
                   case when j < 4 then ' (Heat ' || (j % 2 + 1) || '/2)' when j = 4 then ' B-Main' else ' A-Main' end
                   as race_name,
               null::varchar as race_label_raw,
               case when j < 4 then j % 2 + 1 end as heat_number, case when j < 4 then 2 end as heat_count,
               timestamp '2015-01-01 08:00:00' + to_days(cast(e * 3650 // {events} as integer))
                   + to_minutes(cast(case when j < 4 then j * 2 + cls else 8 + (j - 4) * 2 + cls end * 10 as integer))
                   as completed_local,
               null::timestamptz as completed_utc, 'America/New_York' as time_zone, null::varchar as time_flag,
               300 as length_seconds, 'Timed' as length_kind, null::varchar as caption_tag,
               case when j < 4 then j * 2 + cls else 8 + (j - 4) * 2 + cls end as schedule_index,
               null::varchar as session_type, null::timestamptz as removed_at
        from k""")
    con.execute(f"""
        create or replace table src_drivers as
        select d as driver_id, 'Driver ' || d as display_name, 'driver ' || d as normalized_name,
               'DRIVER' as printed_name
        from range({drivers}) t(d)""")
    con.execute(f"""
        create or replace table src_race_results as
        select race_id, (race_id * 7 + p) % {drivers} as driver_id, p + 1 as position, cast(p + 1 as varchar) as car_number,
               'DRIVER' as driver_name, p + 1 as qual_position, p + 1 as grid_position, {LAPS_PER_DRIVER} as laps,
               300.0 + p as total_time, null::double as behind_seconds, null::integer as behind_laps,
               30.0 + p / 10 as fastest_lap, 3 as fastest_lap_number, 31.0 + p / 10 as avg_lap,
               null::double as avg_top5, null::double as avg_top10, null::double as avg_top15,
               null::double as top2_consecutive, null::double as top3_consecutive,
               null::double as std_deviation, null::double as consistency, 'finished' as status,
               'row' as driver_id_source, null::timestamptz as removed_at
        from src_races, range({DRIVERS_PER_RACE}) t(p)""")
    con.execute(f"""
        create or replace table src_laps as
        select race_id, driver_id, cast(n + 1 as smallint) as lap_number,
               round(30 + random() * 5, 3) as lap_time, cast(position as smallint) as position,
               null::varchar as pace_raw, null::timestamptz as removed_at
        from src_race_results, range({LAPS_PER_DRIVER}) t(n)""")
    _generate_practice(con, tracks, events)
    con.execute("create or replace table src_fetched_pages (url varchar, page_type varchar, status integer, fetched_at timestamptz)")
    con.execute("""create or replace table src_session_type_overrides (override_id bigint, race_id bigint,
        session_type varchar, session_kind varchar, cleared boolean, reason varchar, set_by varchar, set_at timestamptz)""")
    # People's bump-up corrections: none in a benchmark, but the table must exist for the bump-up models.
    con.execute("""create or replace table src_bumpup_corrections (correction_id bigint, event_id bigint,
        action varchar, driver_id bigint, source_race_id bigint, target_race_id bigint, reason varchar,
        set_by varchar, set_at timestamptz)""")
    con.execute(f"create or replace table {SETTINGS_SOURCE} as select true as session_type_inference")
    _empty_other_sources(con)
    names = [r[0] for r in con.execute("select table_name from information_schema.tables where table_name like 'src\\_%' escape '\\'").fetchall()]
    return {n: con.execute(f'select count(*) from "{n}"').fetchall()[0][0] for n in names}


def _empty_other_sources(con: duckdb.DuckDBPyConnection) -> None:
    """Every other source table the store has (heat sheets, rankings, multi-main results ...), empty
    and in the store's shape (from the DDL), so every model builds and none is skipped for a table
    the benchmark does not fill."""
    import pyarrow as pa

    from warehouse.item_sources import SCHEMAS
    from warehouse.sources import SOURCE_PREFIX

    have = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    for table, schema in SCHEMAS.items():
        name = f"{SOURCE_PREFIX}{table}"
        if name not in have:
            empty = pa.schema(list(schema.items())).empty_table()  # noqa: F841 (DuckDB reads it by name)
            con.execute(f'create table "{name}" as select * from empty')


def _generate_practice(con: duckdb.DuckDBPyConnection, tracks: int, events: int) -> None:
    """A practice day per event-week of each track: 20 sessions of 15 laps (about 5% of race laps)."""
    days = max(1, events // 4)
    con.execute(f"""
        create or replace table src_practice_days as
        select 'track' || (d % {tracks}) || '-practice-' || strftime(date '2015-01-02' + cast(d as integer), '%Y-%m-%d')
                   as source_event_id,
               'track' || (d % {tracks}) as track_slug, date '2015-01-02' + cast(d as integer) as practice_date,
               'America/New_York' as time_zone, null::integer as panel_total_laps,
               null::integer as panel_total_track_time_seconds, null::integer as panel_unique_drivers,
               null::integer as panel_unique_classes, null::timestamptz as removed_at
        from range({days}) t(d)""")
    con.execute("""
        create or replace table src_practice_sessions as
        select row_number() over () as session_id, d.source_event_id, d.track_slug, d.practice_date,
               'Driver ' || (s % 12) as driver_name, 'driver ' || (s % 12) as driver_key,
               case s % 2 when 0 then '1/8 Nitro Buggy' else '1/10 Electric Truck' end as class_name,
               case s % 2 when 0 then '1/8 nitro buggy' else '1/10 electric truck' end as class_key,
               cast(1000000 + s as varchar) as transponder,
               d.practice_date + to_minutes(cast(s * 20 as integer)) + interval 9 hour as start_local,
               timezone('America/New_York', d.practice_date + to_minutes(cast(s * 20 as integer)) + interval 9 hour)
                   as start_utc,
               null::timestamp as end_local, null::timestamptz as end_utc, 15 as laps, 15 as lap_count, 470 as length_seconds,
               null::double as detail_length_seconds, 30.0 as fastest_lap, 31.0 as avg_lap,
               null::double as top3_consecutive, null::double as std_deviation, null::double as consistency,
               null::timestamptz as removed_at
        from src_practice_days d, range(20) t(s)""")
    con.execute("""
        create or replace table src_practice_laps as
        select session_id, cast(n + 1 as smallint) as lap_number, round(30 + random() * 4, 3) as lap_time,
               start_local + to_seconds(cast((n + 1) * 31 as bigint)) as end_local,
               start_utc + to_seconds(cast((n + 1) * 31 as bigint)) as end_utc,
               true as is_valid, null::timestamptz as removed_at
        from src_practice_sessions, range(15) t(n)""")


def buildable(models: list[Model], available: set[str]) -> tuple[list[Model], list[str]]:
    """Models whose inputs (transitively) exist here; the rest are skipped (their sources are not
    generated, e.g. a curation table another part of MRE owns)."""
    names = {m.name: m for m in models}
    ok: dict[str, bool] = {}

    def can(name: str) -> bool:
        if name not in ok:
            ok[name] = False  # cycle guard
            m = names[name]
            ok[name] = all((i.removeprefix("main.") in available) or
                           (i.removeprefix("main.") in names and can(i.removeprefix("main."))) for i in m.inputs)
        return ok[name]

    keep = [m for m in models if can(m.name)]
    return keep, sorted(n for n in names if not ok[n])


def run_size(scale: int, base_laps: int, workdir: Path) -> BenchRow:
    from warehouse.export import export_parquet

    path = workdir / f"bench-{scale}x.duckdb"
    con = duckdb.connect(str(path))
    con.execute("set enable_progress_bar = false")
    try:
        t0 = time.perf_counter()
        counts = generate_sources(con, base_laps * scale)
        con.execute("checkpoint")
        generate_s = time.perf_counter() - t0
        models, skipped = buildable(discover_models(SQL_DIR / "models"), set(counts))
        t0 = time.perf_counter()
        run_models(con, models)
        checks = run_checks(con, models, None)
        con.execute("checkpoint")  # as the real build does before publishing the file
        build_s = time.perf_counter() - t0
        failed = [c.name for c in checks if not c.passed]
        if failed:
            raise RuntimeError(f"grain checks failed on synthetic data: {failed}")
        out = workdir / f"export-{scale}x"
        report = export_parquet(con, out)
        shutil.rmtree(out, ignore_errors=True)
        return BenchRow(scale, counts["src_laps"], sum(counts.values()), generate_s, build_s, len(models),
                        report.rows, report.seconds, skipped)
    finally:
        con.close()
        path.unlink(missing_ok=True)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("warehouse", help="warehouse build time and Parquet export rows/s at 1x, 4x, 16x")
    p.add_argument("--base-laps", type=int, default=BASE_LAPS,
                   help=f"race laps at 1x (default {BASE_LAPS:,}; 16x is then {16 * BASE_LAPS:,})")
    p.add_argument("--scales", default="1,4,16", help="comma-separated multiples of --base-laps (default 1,4,16)")
    p.add_argument("--workdir", type=Path, help="where the temporary DuckDB files go (default: a temp dir)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from mre_crawler.cli import UsageError

    try:
        scales = [int(s) for s in args.scales.split(",") if s.strip()]
    except ValueError:
        raise UsageError("--scales takes comma-separated integers, e.g. 1,4,16") from None
    if not scales or min(scales) < 1 or args.base_laps < 1:
        raise UsageError("--scales and --base-laps must be positive")
    console = Console(width=170)
    rows: list[BenchRow] = []
    with tempfile.TemporaryDirectory(prefix="mre-bench-wh-", dir=args.workdir) as tmp:
        for scale in scales:
            console.print(f"[dim]{scale}x: generating {args.base_laps * scale:,} race laps ...[/dim]")
            rows.append(run_size(scale, args.base_laps, Path(tmp)))
    table = Table(title="mre bench warehouse (synthetic sources generated in DuckDB; build = models + grain checks)")
    for col in ("size", "race laps", "source rows", "generate s", "build s", "laps/s built", "models",
                "export rows", "export s", "export rows/s", "build s per 1x"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(f"{r.scale}x", f"{r.race_laps:,}", f"{r.source_rows:,}", f"{r.generate_s:.2f}",
                      f"{r.build_s:.2f}", f"{r.build_rate:,.0f}", str(r.models), f"{r.export_rows:,}",
                      f"{r.export_s:.2f}", f"{r.export_rate:,.0f}", f"{r.build_s / r.scale:.2f}")
    console.print(table)
    if rows and rows[-1].skipped:
        console.print(f"not built (their sources are not generated): {', '.join(rows[-1].skipped)}")
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        growth = (last.build_s / first.build_s) / (last.scale / first.scale)
        console.print(f"build time grew {last.build_s / first.build_s:.1f}x for {last.scale // first.scale}x the data "
                      f"({growth:.2f} of linear)")
    return 0
