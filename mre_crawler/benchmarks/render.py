"""``mre bench render``: race pages/s when every race page needs chromium, next to the static pages.

One generated track is served twice on 127.0.0.1: as written, and with every race page's rows and
lap data built by a script at load time (:mod:`mre_crawler.samplesite.scripted`), so each one is
fetched, found without lap data and fetched again in chromium (:mod:`mre_crawler.render`). Each
copy is crawled once into a fresh database with a fresh cache, throttling off. Prints race pages/s
for both and the ratio; both crawls must store the same number of rows.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("render", help="race pages/s rendered in chromium vs static",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=4, help="events of the one track (about 12 races each)")
    p.add_argument("--seed", type=int, default=5)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from mre_crawler.benchmarks.crawl import _phase, _temporary_database
    from mre_crawler.crawl import configure_logging, run_crawl
    from mre_crawler.render import chromium_path
    from mre_crawler.samplesite import generate, load_truth, read_manifest
    from mre_crawler.samplesite.scripted import script_race
    from mre_crawler.serve import SiteServer
    from warehouse.migrate import migrate

    console = Console()
    if chromium_path() is None:
        console.print("no chromium (/usr/bin/chromium or on PATH): apt-get install chromium")
        return 1
    configure_logging("ERROR")
    work = Path(tempfile.mkdtemp(prefix="mre-bench-render-"))
    try:
        static = generate(work / "static", tracks=1, events=args.events, seed=args.seed, practice_days=0)
        scripted = Path(shutil.copytree(static, work / "scripted"))
        for file, _url, page_type in read_manifest(scripted):
            if page_type == "race_result":
                path = scripted / file
                path.write_text(script_race(path.read_text(encoding="utf-8")), encoding="utf-8")
        slug = load_truth(static)["tracks"][0]["slug"]
        phases = []
        for name, site in (("static", static), ("rendered", scripted)):
            db_url, stop_db = _temporary_database(work / name)
            try:
                import psycopg

                with psycopg.connect(db_url, autocommit=True) as conn:
                    migrate(conn)
                settings = {"MRE_DATABASE_URL": db_url, "MRE_HOME": str(work / name / "home"), "LOG_LEVEL": "ERROR"}
                with SiteServer(site) as server:
                    settings["MRE_SITE"] = server.site
                    phases.append(_phase(name, run_crawl, settings, [slug]))
            finally:
                stop_db()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = Table(title="mre bench render (1 track, 127.0.0.1, throttling off, per-track concurrency 2)")
    for col in ("pages", "wall s", "CPU s (crawler)", "race pages", "race pg/s", "rows"):
        table.add_column(col, justify="left" if col == "pages" else "right")
    for p in phases:
        table.add_row(p.name, f"{p.seconds:.1f}", f"{p.cpu_seconds:.1f}", f"{p.race_pages:,}",
                      f"{p.race_pages / p.seconds:,.1f}", f"{p.rows:,}")
    console.print(table)
    static_phase, rendered = phases
    console.print(f"rendered race pages: {static_phase.race_pages / static_phase.seconds / (rendered.race_pages / rendered.seconds):.0f}x "
                  "slower than static (each is fetched twice, the second time by chromium)")
    return 0 if static_phase.rows == rendered.rows and rendered.race_pages == static_phase.race_pages else 1
