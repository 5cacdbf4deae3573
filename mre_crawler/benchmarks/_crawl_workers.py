"""``mre bench crawl --workers N``: the same generated site crawled by 1, 2 … N ``mre worker`` processes.

Each round gets a fresh database (on the one temporary PostgreSQL), a fresh private
``redis-server``, fresh HTTP caches; every track is enqueued (``--enqueue``), then k workers are
started at once. Race pages/s is measured on the replay server's clock, from the first page
request to the last (process start-up and the idle wait before a worker leaves are outside it).
Throttling is off (a loopback replay); per-track concurrency 8, as in the single-process bench.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_workers(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from mre_crawler.benchmarks.crawl import _temporary_database
    from mre_crawler.samplesite import generate, load_truth
    from mre_crawler.serve import SiteServer
    from mre_crawler.workers.enqueue import enqueue_start
    from mre_crawler.workers.redisserver import REDIS_SERVER, RedisServer

    console = Console()
    if not Path(REDIS_SERVER).is_file():
        console.print(f"mre bench crawl --workers: no redis-server at {REDIS_SERVER} (apt-get install redis-server)")
        return 1
    work = Path(tempfile.mkdtemp(prefix="mre-bench-workers-"))
    site = work / "site"
    generate(site, tracks=args.tracks, events=args.events, seed=args.seed, practice_days=0)
    truth = load_truth(site)
    races = truth["pages"]["race_result"]
    console.print(f"generated {races:,} race pages ({sum(truth['pages'].values()):,} pages) under {work}")
    server_url, stop_db = _temporary_database(work)
    rows = []
    try:
        import psycopg
        from psycopg import sql
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        from warehouse.migrate import migrate

        for k in range(1, args.workers + 1):
            name = f"mre_workers_{k}"
            with psycopg.connect(server_url, autocommit=True) as admin:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            db_url = make_conninfo(server_url, dbname=name)
            with psycopg.connect(db_url, autocommit=True) as conn:
                migrate(conn)
            (work / f"redis{k}").mkdir()
            redis = RedisServer(work / f"redis{k}").start()
            try:
                with SiteServer(site) as server:
                    for track in truth["tracks"]:
                        enqueue_start("track", {"track": track["slug"]}, {"MRE_REDIS_URL": redis.url})
                    procs = []
                    for i in range(k):
                        env = dict(os.environ, MRE_DATABASE_URL=db_url, MRE_REDIS_URL=redis.url, MRE_SITE=server.site,
                                   MRE_HOME=str(work / f"home{k}-{i}"), MRE_CONCURRENCY_PER_TRACK="8",
                                   MRE_STORE_BATCH_PAGES="100")
                        with open(work / f"worker{k}-{i}.out", "w") as out:  # its summary, shown if it did not exit 0
                            procs.append(subprocess.Popen([sys.executable, "-m", "mre_crawler", "worker", "--idle-exit", "1"],
                                                          cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
                    codes = [p.wait() for p in procs]
                    pages = [e for e in server.log if not e.path.endswith("/robots.txt")]
                if any(codes):
                    console.print(f"  {k} workers: exit codes {codes}")
                    for i, code in enumerate(codes):
                        if code:
                            lines = (work / f"worker{k}-{i}.out").read_text(errors="replace").splitlines()
                            console.print(f"  worker {i} (exit {code}), last lines:", markup=False)
                            for line in lines[-15:]:
                                console.print(f"    {line}", markup=False)
                with psycopg.connect(db_url, autocommit=True) as conn:
                    stored = conn.execute("SELECT count(*) FROM mre.races").fetchone()[0]
                span = max(e.at for e in pages) - min(e.at for e in pages)
                rows.append((k, span, len(pages), stored))
                console.print(f"  {k} worker{'s' if k > 1 else ''}: {span:.1f} s, {races / span:,.0f} race pages/s")
            finally:
                redis.stop()
    finally:
        stop_db()
        if not args.keep:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    table = Table(title=f"mre bench crawl --workers ({races:,} race pages, {os.cpu_count()} cores, throttling off, 127.0.0.1)")
    for col in ("workers", "wall s", "race pg/s", "pages/s", "vs 1 worker", "races stored"):
        table.add_column(col, justify="right")
    one = rows[0][1]
    for k, span, pages, stored in rows:
        table.add_row(str(k), f"{span:.1f}", f"{races / span:,.0f}", f"{pages / span:,.0f}", f"{one / span:.2f}x", f"{stored:,}")
    console.print(table)
    return 0 if all(stored == races for *_, stored in rows) else 1
