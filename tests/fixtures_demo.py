"""One `mre demo` run for the whole test session (small: 1 track, 2 events), for tests that read what
the demo leaves behind: its MRE_HOME (site, warehouse, report) and its own database. The demo writes
into a database of its own on the session's server, never into the session's database."""

from __future__ import annotations

import contextlib
import io
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

_ENV = ("MRE_HOME", "MRE_DATABASE_URL", "MRE_WAREHOUSE_PATH", "MRE_SITE", "MRE_CASSETTE",
        "MRE_SESSION_TYPE_INFERENCE")


@dataclass(frozen=True)
class DemoRun:
    home: Path
    database: str  # the demo's database name (on the session's server)
    database_url: str
    output: str  # what the demo printed

    @property
    def warehouse(self) -> Path:
        return self.home / "demo" / "warehouse.duckdb"


@pytest.fixture(scope="session")
def demo_run(pg_url: str, tmp_path_factory) -> Iterator[DemoRun]:
    from mre_crawler.cli import main
    from mre_crawler.db import connect, database_on_same_server

    home = tmp_path_factory.mktemp("demo-home")
    name = f"mre_demo_shared_{uuid.uuid4().hex[:8]}"
    saved = {k: os.environ.get(k) for k in _ENV}
    for k in _ENV:
        os.environ.pop(k, None)
    os.environ["MRE_HOME"] = str(home)
    os.environ["MRE_DATABASE_URL"] = pg_url
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            code = main(["demo", "--tracks", "1", "--events", "2", "--no-progress", "--database", name])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert code == 0, out.getvalue()[-3000:]
    yield DemoRun(home, name, database_on_same_server(pg_url, name), out.getvalue())
    with connect(pg_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def demo_env(demo_run: DemoRun, monkeypatch) -> DemoRun:
    """The shared demo's MRE_HOME and database as this test's environment."""
    for k in _ENV:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("MRE_HOME", str(demo_run.home))
    monkeypatch.setenv("MRE_DATABASE_URL", demo_run.database_url)
    return demo_run
