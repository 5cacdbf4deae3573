"""Crawl fixtures: sample sites served on 127.0.0.1, and in-process crawls into a real PostgreSQL.

- ``serve``: ``serve(directory)`` starts a :class:`mre_crawler.serve.SiteServer` (stopped at teardown).
- ``small_site``: a generated sample site (1 track, 2 events, no practice), made once per session.
- ``crawl``: ``crawl(spider, args, **settings)`` runs a crawl in-process against the session's
  migrated test database (tables emptied by ``pg_conn`` first), with a fresh MRE_HOME (so a fresh
  HTTP cache) per test unless ``MRE_HOME`` is given. Returns a :class:`mre_crawler.crawl.CrawlResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mre_crawler.serve import SiteServer


@pytest.fixture
def serve() -> Iterator[Callable[..., SiteServer]]:
    servers: list[SiteServer] = []

    def start(directory: Path | None = None, **kwargs: Any) -> SiteServer:
        server = SiteServer(directory, **kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mre_crawler.samplesite import generate

    return generate(tmp_path_factory.mktemp("site") / "small", tracks=1, events=2, seed=11, practice_days=0)


@pytest.fixture
def crawl(pg_url: str, pg_conn, tmp_path: Path) -> Callable[..., Any]:
    from mre_crawler.crawl import run_crawl

    def run(spider: str, args: dict[str, Any] | None = None, **settings: Any):
        merged = {
            "MRE_DATABASE_URL": pg_url,
            "MRE_HOME": str(tmp_path / "mre-home"),
            "LOG_LEVEL": "WARNING",
            "MRE_CONTACT": "tests@example.invalid",
        }
        merged.update({k: (str(v) if not isinstance(v, str) else v) for k, v in settings.items()})
        return run_crawl(spider, args or {}, merged)

    return run


@pytest.fixture
def site_copy(small_site: Path, tmp_path: Path) -> Path:
    """A private copy of ``small_site`` a test may change (a page edited, removed, broken)."""
    import shutil

    return Path(shutil.copytree(small_site, tmp_path / "site"))


def expected_counts(site: Path) -> dict[str, int]:
    """Row counts the generator's truth promises for a crawl of the whole site."""
    from mre_crawler.samplesite import expected_items, load_truth, read_manifest

    truth = load_truth(site)
    entries = 0
    for _file, url, page_type in read_manifest(site):
        if page_type == "entry_list":
            entries += sum(len(el.entries) for el in expected_items(site, url))
    return {
        "tracks": len(truth["tracks"]),
        "events": sum(t["events"] for t in truth["tracks"]),
        "races": len(truth["races"]),
        "race_results": sum(r["rows"] for r in truth["races"].values()),
        "laps": sum(sum(r["laps_by_driver"].values()) for r in truth["races"].values()),
        "entries": entries,
    }


def stored_counts(conn) -> dict[str, int]:
    """Rows present (not marked removed) per table."""
    counts = {"tracks": conn.execute("SELECT count(*) FROM mre.tracks").fetchone()[0]}
    for table in ("events", "races", "race_results", "laps", "entries"):
        counts[table] = conn.execute(f"SELECT count(*) FROM mre.{table} WHERE removed_at IS NULL").fetchone()[0]
    return counts


def table_fingerprint(conn) -> dict[str, tuple]:
    """Per table: row count and newest updated_at, to show a crawl changed nothing."""
    out = {}
    for table in ("tracks", "events", "races", "race_results", "laps", "entries", "points_rows", "drivers"):
        out[table] = tuple(conn.execute(f"SELECT count(*), max(updated_at) FROM mre.{table}").fetchone())
    return out
