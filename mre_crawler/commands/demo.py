"""``mre demo``: the whole pipeline on a fresh machine, offline, in well under a minute.

Generates a small sample site under ``MRE_HOME/demo-site`` (2 tracks, 3 events each, 2 practice
days), serves it on a free 127.0.0.1 port, crawls it (catalogue with dashboards, then each track
with its events) into the database (the embedded PostgreSQL unless ``MRE_DATABASE_URL`` is set),
then shows what it stored, a few example queries with their answers, and how to connect.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Any

EXAMPLE_QUERIES: list[tuple[str, str]] = [
    ("Events per track",
     """SELECT t.name AS track, count(e.event_id) AS events, min(e.date_start) AS first, max(e.date_start) AS last
FROM mre.tracks t JOIN mre.events e ON e.track_slug = t.slug
GROUP BY t.name ORDER BY t.name"""),
    ("Fastest laps of the A-Mains",
     """SELECT r.class_name, rr.driver_name, rr.fastest_lap, r.race_name
FROM mre.race_results rr JOIN mre.races r USING (race_id)
WHERE r.race_name LIKE '%A-Main' OR r.race_name LIKE '%A1-Main'
ORDER BY rr.fastest_lap LIMIT 5"""),
    ("Most laps raced, by driver",
     """SELECT d.display_name AS driver, count(*) AS laps
FROM mre.laps l JOIN mre.drivers d USING (driver_id)
GROUP BY d.display_name ORDER BY laps DESC LIMIT 5"""),
]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="generate, serve and crawl a sample site into the database (offline)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tracks", type=int, default=2)
    p.add_argument("--events", type=int, default=3, help="events per track")
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--no-progress", action="store_true", help="no progress bar (logs and CI)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from mre_crawler.cli import UsageError
    from mre_crawler.commands.crawl import prepare_database
    from mre_crawler.db import DatabaseUnavailable, mre_home
    from mre_crawler.samplesite import generate, load_truth
    from mre_crawler.serve import SiteServer

    if not 1 <= args.tracks <= 20 or not 1 <= args.events <= 50:
        raise UsageError("the demo takes 1-20 tracks and 1-50 events per track")
    from mre_crawler.crawl import configure_logging

    configure_logging("ERROR")
    console = Console()
    t0 = time.perf_counter()
    home = mre_home()
    site_dir = home / "demo-site"
    console.print(f"[bold]1.[/] generating a sample site in {site_dir}")
    generate(site_dir, tracks=args.tracks, events=args.events, seed=args.seed, practice_days=2, force=True)
    truth = load_truth(site_dir)
    slugs = [t["slug"] for t in truth["tracks"]]
    settings: dict[str, Any] = {"LOG_LEVEL": "ERROR", "MRE_HOME": str(home), "MRE_CACHE_ENABLED": "0"}
    try:
        console.print("[bold]2.[/] starting the database (embedded PostgreSQL unless MRE_DATABASE_URL is set)")
        prepare_database(settings)
    except DatabaseUnavailable as exc:
        print(f"mre demo: {exc}", file=sys.stderr)
        return 1
    with SiteServer(site_dir) as server:
        settings["MRE_SITE"] = server.site
        console.print(f"[bold]3.[/] serving it at {server.site}; crawling as if it were LiveRC")
        results = _crawl_with_progress(console, settings, slugs, truth, not args.no_progress)
    failed = sum(len(r.failures) for r in results)
    rows = sum(r.rows_written for r in results)
    console.print(f"    {sum(r.pages_parsed for r in results)} pages parsed, {rows} rows written, "
                  f"{failed} pages failed, {sum(r.quarantined for r in results)} quarantined")
    _show_database(console, settings["MRE_DATABASE_URL"])
    console.print(f"\nDone in {time.perf_counter() - t0:.1f} s. Connect with: [bold]psql \"$(mre db url)\"[/] "
                  "(tables live in schema [bold]mre[/]); re-run [bold]mre demo[/] any time.")
    return 0 if rows or not failed else 1


def _crawl_with_progress(console, settings: dict[str, Any], slugs: list[str], truth: dict, show: bool) -> list:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from mre_crawler.crawl import run_crawl

    # Every results page once, plus the dashboards the track crawls read again after the catalogue.
    pages = sum(n for kind, n in truth["pages"].items() if not kind.startswith("practice")) + len(slugs)
    jobs: list[tuple[str, dict[str, Any]]] = [("catalogue", {"follow": "1"})]
    jobs += [("track", {"track": slug}) for slug in slugs]
    current: dict[str, Any] = {}
    results: list = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for spider, spider_args in jobs:
                results.append(run_crawl(spider, spider_args, settings,
                                         on_crawler=lambda c: current.__setitem__("crawler", c)))
                current["done"] = current.get("done", 0) + results[-1].pages_parsed + results[-1].quarantined
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    worker = threading.Thread(target=work, name="mre-demo-crawl")
    worker.start()
    columns = (TextColumn("    crawling"), BarColumn(), MofNCompleteColumn(), TextColumn("pages"), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not show, transient=False) as progress:
        task = progress.add_task("crawl", total=pages)
        while worker.is_alive():
            crawler = current.get("crawler")
            running = 0
            if crawler is not None and getattr(crawler, "stats", None) is not None:
                running = int(crawler.stats.get_value("mre/pages/parsed", 0) or 0)
            progress.update(task, completed=min(pages, current.get("done", 0) + running))
            worker.join(0.1)
        progress.update(task, completed=min(pages, current.get("done", 0)))
    if errors:
        raise errors[0]
    return results


def _show_database(console, url: str) -> None:
    from rich.table import Table

    from mre_crawler.db import connect

    with connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            """SELECT tablename FROM pg_tables WHERE schemaname = 'mre'
               AND tablename NOT LIKE 'schema_%' ORDER BY tablename""").fetchall()]
        counts = Table(title="Rows stored (schema mre)", title_justify="left")
        counts.add_column("table")
        counts.add_column("rows", justify="right")
        for table in tables:
            n = conn.execute(f'SELECT count(*) FROM mre."{table}"').fetchone()[0]
            if n:
                counts.add_row(table, f"{n:,}")
        console.print()
        console.print(counts)
        for title, query in EXAMPLE_QUERIES:
            cur = conn.execute(query)
            table = Table(title=title, title_justify="left")
            for column in cur.description:
                table.add_column(column.name)
            for row in cur.fetchall():
                table.add_row(*("" if v is None else str(v) for v in row))
            console.print()
            console.print(query, style="dim", highlight=False)
            console.print(table)
