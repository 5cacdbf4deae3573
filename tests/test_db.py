"""The embedded default, connection errors and the `mre db` / `mre tracks` commands."""

from __future__ import annotations

import os

import shutil
import tempfile
from pathlib import Path

import pytest

from mre_crawler import db
from mre_crawler.cli import main

pytestmark = pytest.mark.db


@pytest.fixture
def mre_home(monkeypatch):
    # Outside pytest's tmp_path, which concurrent pytest sessions reset to 0700 (the server runs
    # as the 'pgserver' user when root and must traverse to its data directory).
    home = Path(tempfile.mkdtemp(prefix="mre-test-home-"))
    monkeypatch.delenv("MRE_DATABASE_URL", raising=False)
    monkeypatch.setenv("MRE_HOME", str(home))
    yield home
    db.stop_embedded(home / "pg")
    shutil.rmtree(home, ignore_errors=True)


def test_embedded_server_starts_survives_and_is_reused(mre_home, capsys):
    pgdata = mre_home / "pg"
    try:
        url = db.database_url()
        assert db.embedded_running(pgdata) == url
        with db.connect() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        # a later run (here: the CLI) reuses the same server
        assert main(["db", "url"]) == 0
        assert capsys.readouterr().out.strip() == url
        assert main(["db", "migrate"]) == 0
        assert "applied: 0001_core.sql" in capsys.readouterr().out
        assert main(["db", "status"]) == 0
        out = capsys.readouterr().out
        assert "migrations pending: (none)" in out and "tracks" in out
    finally:
        assert main(["db", "stop"]) == 0
    assert db.embedded_running(pgdata) is None
    assert "was not running" in (main(["db", "stop"]), capsys.readouterr().out)[1]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://mre:s3cret@db.example:5432/mre", "postgresql://mre:***@db.example:5432/mre"),
        ("postgresql://postgres:@/postgres?host=/tmp/x", "postgresql://postgres:@/postgres?host=/tmp/x"),
        ("postgresql://localhost/mre", "postgresql://localhost/mre"),
        ("host=db user=mre password=s3cret dbname=mre", "host=db user=mre password=*** dbname=mre"),
        ("host=db password='a b\\'c' dbname=mre", "host=db password=*** dbname=mre"),
        ("user=postgres dbname=mre_demo host=/tmp/x", "user=postgres dbname=mre_demo host=/tmp/x"),
    ],
)
def test_redact_hides_the_password(url, shown):
    assert db.redact(url) == shown


def test_a_database_on_the_same_server_is_created_once_and_reached_by_its_own_url(pg_url):
    name = f"mre_same_server_{os.getpid()}"
    url = db.database_on_same_server(pg_url, name)
    try:
        assert db.database_on_same_server(pg_url, name) == url  # the second call finds it
        with db.connect(url) as conn:
            assert conn.execute("SELECT current_database()").fetchone()[0] == name
    finally:
        with db.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    with pytest.raises(ValueError, match="plain database name"):
        db.database_on_same_server(pg_url, "bad; name")


def test_unreachable_database_is_one_clear_line(tmp_path):
    url = f"postgresql://mre:s3cret@/mre?host={tmp_path}"  # no server listens on that socket dir
    with pytest.raises(db.DatabaseUnavailable) as info:
        db.connect(url)
    message = str(info.value)
    assert "\n" not in message and "s3cret" not in message
    assert message.startswith(f"database unavailable at postgresql://mre:***@/mre?host={tmp_path}: ")


def test_db_commands_report_an_unreachable_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MRE_DATABASE_URL", f"postgresql://mre@/mre?host={tmp_path}")
    assert main(["db", "status"]) == 1
    assert "database unavailable" in capsys.readouterr().err
    assert main(["db", "stop"]) == 2  # an external server is not MRE's to stop


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["tracks", "set-timezone", "canberraoffroad", "Mars/Olympus"], "unknown IANA time zone 'Mars/Olympus'"),
        (["tracks", "set-timezone", "not a slug!", "Australia/Sydney"], "not a LiveRC track slug"),
    ],
)
def test_set_timezone_refuses_bad_input(argv, reason, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert reason in err and len(err.strip().splitlines()) == 1
