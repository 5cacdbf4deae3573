"""``mre bench crawl``: crawl a generated site of 5,000+ race pages served on 127.0.0.1, twice.

Throttling is off (a loopback replay), the database is a temporary embedded PostgreSQL (or a
fresh database on ``MRE_BENCH_DATABASE_URL``'s server), the cache a temporary folder. The first
crawl stores everything; the second, unchanged, is served by the cache (one cached request per
page) and must write zero rows. Prints pages/s, rows/s, peak memory for both.

Beside the first crawl, before and after it, a yardstick (:mod:`mre_crawler.benchmarks._crawl_yardstick`):
a bare Scrapy spider fetching the same URLs from the same replay with as many in flight. Its
requests/s at the crawl's requests per race page is the ceiling of any crawl on Scrapy's
per-request path here; the crawl is printed as a share of it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path


CONCURRENCY = 8  # requests in flight, for the crawl (per track, one track at a time) and the yardstick


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("crawl", help="crawl a 5,000-race generated site twice (first and unchanged re-crawl)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tracks", type=int, default=5)
    p.add_argument("--events", type=int, default=90, help="events per track (about 12 races each)")
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (site, cache, database)")
    p.add_argument("--server", choices=("process", "thread"), default="process",
                   help="serve the replay from its own process (default: like LiveRC, it is not in the crawler's "
                        "process) or from a thread of the crawling process (sharing its GIL)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="instead: crawl the site with 1, 2 … N `mre worker` processes sharing a private Redis")
    p.add_argument("--no-yardstick", dest="yardstick", action="store_false",
                   help="skip the bare-Scrapy yardstick rounds before and after the first crawl")
    p.set_defaults(func=run)


def _rss_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakMemory:
    """Samples the process's resident memory every 50 ms while a crawl runs."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_mb())
            self._stop.wait(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


@dataclass
class Phase:
    name: str
    seconds: float
    cpu_seconds: float
    race_pages: int
    pages: int
    requests: int
    cache_hits: int
    rows: int
    peak_mb: float
    server_cpu_seconds: float | None = None  # the replay server's, when it runs in its own process


def run(args: argparse.Namespace) -> int:
    if args.workers:
        from mre_crawler.benchmarks._crawl_workers import run_workers

        return run_workers(args)
    from rich.console import Console
    from rich.table import Table

    from mre_crawler.benchmarks._crawl_yardstick import run_yardstick, track_crawl_urls
    from mre_crawler.crawl import configure_logging, run_crawl
    from mre_crawler.samplesite import load_truth, generate
    from mre_crawler.serve import SiteServer
    from warehouse.migrate import migrate

    configure_logging("ERROR")
    console = Console(width=max(Console().width, 150))  # a pipe or a narrow terminal cuts no figures
    work = Path(tempfile.mkdtemp(prefix="mre-bench-crawl-"))
    site = work / "site"
    t = time.perf_counter()
    generate(site, tracks=args.tracks, events=args.events, seed=args.seed, practice_days=0)
    truth = load_truth(site)
    console.print(f"generated {truth['pages']['race_result']:,} race pages ({sum(truth['pages'].values()):,} pages) "
                  f"in {time.perf_counter() - t:.1f} s under {work}")
    db_url, stop_db = _temporary_database(work)
    try:
        import psycopg

        with psycopg.connect(db_url, autocommit=True) as conn:
            migrate(conn)
        # 8 requests per track in flight: a loopback replay is ours to load (LiveRC gets the
        # default 2); at 2 the in-process server's answers wait for the GIL and the run measures
        # latency, not the crawler (measured: 34 vs 90 race pages/s on 1,011 pages).
        settings = {"MRE_DATABASE_URL": db_url, "MRE_HOME": str(work / "home"), "LOG_LEVEL": "ERROR",
                    "MRE_STORE_BATCH_PAGES": "100", "MRE_CONCURRENCY_PER_TRACK": str(CONCURRENCY)}
        phases, yardsticks = [], []
        slugs = [t["slug"] for t in truth["tracks"]]
        with (SiteServer(site) if args.server == "thread" else ChildServer(site)) as server:
            settings["MRE_SITE"] = server.site
            urls = track_crawl_urls(site, server.site, slugs)
            server_cpu = getattr(server, "cpu_seconds", lambda: None)
            for name in ("yardstick", "first", "yardstick", "unchanged"):
                before = server_cpu()
                if name == "yardstick":
                    if not args.yardstick:
                        continue
                    yardsticks.append(run_yardstick(urls, CONCURRENCY))
                else:
                    phases.append(_phase(name, run_crawl, settings, slugs))
                done = yardsticks[-1] if name == "yardstick" else phases[-1]
                done.server_cpu_seconds = None if before is None else server_cpu() - before
                console.print(f"  {name}: {done.seconds:.1f} s")
    finally:
        stop_db()
        if not args.keep:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    table = Table(title=f"mre bench crawl ({truth['pages']['race_result']:,} race pages, throttling off, 127.0.0.1, "
                        f"replay served from a {args.server})")
    for col in ("phase", "wall s", "CPU s", "race pg/s", "pages/s", "requests", "cached", "rows", "rows/s",
                "peak MB"):
        table.add_column(col, justify="left" if col == "phase" else "right")
    for p in phases:
        table.add_row(p.name, f"{p.seconds:.1f}", f"{p.cpu_seconds:.1f}", f"{p.race_pages / p.seconds:,.0f}", f"{p.pages / p.seconds:,.0f}",
                      f"{p.requests:,}", f"{p.cache_hits:,}", f"{p.rows:,}", f"{p.rows / p.seconds:,.0f}",
                      f"{p.peak_mb:,.0f}")
    console.print(table)
    first, again = phases
    console.print(f"unchanged re-crawl: {first.seconds / again.seconds:.1f}x faster "
                  f"({first.cpu_seconds / again.cpu_seconds:.1f}x less CPU; the server {args.server} and the "
                  f"database share this process's 2 cores), {again.rows} rows written")
    if yardsticks:
        console.print(_yardstick_table(first, yardsticks, len(urls)))
    return 0 if again.rows == 0 else 1


def _yardstick_table(first: Phase, yardsticks, urls: int):
    """The first crawl beside the bare-Scrapy yardstick rounds, and as a share of their mean."""
    from rich.table import Table

    per_race = first.requests / first.race_pages if first.race_pages else 0.0
    table = Table(title=f"first crawl vs the yardstick: a bare Scrapy spider (default components, a callback that "
                        f"does nothing) over the same {urls:,} URLs, {CONCURRENCY} in flight; ceiling = its "
                        f"requests/s at the crawl's {per_race:.2f} requests per race page; at 1 core: if this "
                        f"process's CPU per request were the only limit")
    for col in ("run", "requests", "wall s", "requests/s", "CPU ms/request", "server CPU ms/request",
                "race pg/s (ceiling)", "race pg/s at 1 core"):
        table.add_column(col, justify="left" if col == "run" else "right")

    def server_ms(cpu: float | None, requests: int) -> str:
        return "" if cpu is None or not requests else f"{1000 * cpu / requests:.2f}"

    def at_one_core(cpu_ms: float) -> str:
        return f"{1000 / cpu_ms / per_race:,.0f}" if cpu_ms and per_race else ""

    for i, y in enumerate(yardsticks, 1):
        ceiling = y.requests_per_s / per_race if per_race else 0.0
        table.add_row(f"yardstick {i}", f"{y.responses:,}", f"{y.seconds:.1f}", f"{y.requests_per_s:,.0f}",
                      f"{y.cpu_ms_per_request:.2f}", server_ms(y.server_cpu_seconds, y.responses), f"{ceiling:,.0f}",
                      at_one_core(y.cpu_ms_per_request))
    crawl_rps = first.requests / first.seconds
    crawl_cpu_ms = 1000 * first.cpu_seconds / first.requests if first.requests else 0.0
    table.add_row("first crawl", f"{first.requests:,}", f"{first.seconds:.1f}", f"{crawl_rps:,.0f}",
                  f"{crawl_cpu_ms:.2f}", server_ms(first.server_cpu_seconds, first.requests),
                  f"{first.race_pages / first.seconds:,.0f}", at_one_core(crawl_cpu_ms))
    mean_rps = sum(y.requests_per_s for y in yardsticks) / len(yardsticks)
    mean_cpu = sum(y.cpu_ms_per_request for y in yardsticks) / len(yardsticks)
    ratio = f"{crawl_rps / mean_rps:.2f}x" if mean_rps else ""
    table.add_row("crawl / yardstick", "", "", ratio, f"{crawl_cpu_ms / mean_cpu:.2f}x" if mean_cpu else "", "",
                  ratio, f"{mean_cpu / crawl_cpu_ms:.2f}x" if crawl_cpu_ms else "")
    return table


class ChildServer:
    """``mre serve DIR`` in a child process on a free port, for as long as the ``with`` lasts:
    the replay's answers cost the crawling process nothing, as LiveRC's do."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __enter__(self) -> ChildServer:
        import socket
        import subprocess
        import sys

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.site = f"http://127.0.0.1:{port}"
        self._proc = subprocess.Popen([sys.executable, "-m", "mre_crawler", "serve", str(self.directory),
                                       "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"mre serve {self.directory} exited {self._proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self._proc.kill()
        raise RuntimeError(f"mre serve {self.directory} did not listen on port {port} within 30 s")

    def cpu_seconds(self) -> float | None:
        """The server process's CPU time so far (user + system), or None where /proc cannot tell."""
        try:
            with open(f"/proc/{self._proc.pid}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime

    def __exit__(self, *exc: object) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(10)
        except Exception:  # noqa: BLE001 - a server that ignores SIGTERM is killed
            self._proc.kill()
            self._proc.wait(10)


def _phase(name, run_crawl, settings, slugs) -> Phase:
    t, cpu = time.perf_counter(), time.process_time()
    results = []
    with PeakMemory() as memory:
        for slug in slugs:
            results.append(run_crawl("track", {"track": slug}, settings))
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    return Phase(
        name, seconds, cpu,
        race_pages=sum(r.stat("mre/pages/parsed/race_result") + r.stat("mre/pages/unchanged/race_result")
                       for r in results),
        pages=sum(r.pages_parsed + r.stat("mre/pages/unchanged") for r in results),
        requests=sum(r.requests for r in results),
        cache_hits=sum(r.cache_hits for r in results),
        rows=sum(r.rows_written for r in results),
        peak_mb=memory.peak,
    )


def _temporary_database(work: Path):
    """A fresh database: on MRE_BENCH_DATABASE_URL's server, else a temporary embedded server."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    server = os.environ.get("MRE_BENCH_DATABASE_URL", "").strip()
    if server:
        name = f"mre_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

        def drop() -> None:
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

        return make_conninfo(server, dbname=name), drop
    from mre_crawler.db import start_embedded, stop_embedded

    pgdata = work / "pg"
    url = start_embedded(pgdata)
    return url, lambda: stop_embedded(pgdata)
