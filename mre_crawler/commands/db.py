"""``mre db migrate|url|stop|status``: the PostgreSQL system of record.

Without ``MRE_DATABASE_URL`` these work on the embedded server under ``$MRE_HOME/pg`` (started
on demand, see :mod:`mre_crawler.db`).
"""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "db",
        help="the PostgreSQL database: migrate, url, stop, status",
        description="Manage MRE's PostgreSQL database. With MRE_DATABASE_URL unset, a private "
        "embedded PostgreSQL under $MRE_HOME/pg is used (started on demand, kept running).",
    )
    db_sub = p.add_subparsers(dest="db_command", metavar="ACTION")
    db_sub.required = True
    db_sub.add_parser("migrate", help="apply pending migrations (sql/postgres/NNNN_*.sql)").set_defaults(func=run_migrate)
    url = db_sub.add_parser("url", help="print the connection string (psql \"$(mre db url)\")")
    url.add_argument("--demo", action="store_true", help="the demo's database (mre_demo) on the same server")
    url.add_argument("--database", metavar="NAME", help="another database on the same server")
    url.set_defaults(func=run_url)
    db_sub.add_parser("stop", help="stop the embedded PostgreSQL").set_defaults(func=run_stop)
    db_sub.add_parser("status", help="server, applied/pending migrations, row counts").set_defaults(func=run_status)


def _fail(exc: Exception) -> int:
    print(f"mre db: {exc}", file=sys.stderr)
    return 1


def run_migrate(args: argparse.Namespace) -> int:
    from mre_crawler.db import DatabaseUnavailable, connect
    from warehouse.migrate import MigrationError, migrate

    try:
        with connect(autocommit=True) as conn:
            done = migrate(conn)
    except (DatabaseUnavailable, MigrationError) as exc:
        return _fail(exc)
    print("applied: " + ", ".join(done) if done else "database is up to date")
    return 0


def run_url(args: argparse.Namespace) -> int:
    from mre_crawler.db import DatabaseUnavailable, database_url

    try:
        url = database_url()
    except DatabaseUnavailable as exc:
        return _fail(exc)
    name = args.database or ("mre_demo" if args.demo else None)
    if name:
        from psycopg.conninfo import make_conninfo

        url = make_conninfo(url, dbname=name)
    print(url)
    return 0


def run_stop(args: argparse.Namespace) -> int:
    from mre_crawler.cli import UsageError
    from mre_crawler.db import embedded_pgdata, is_embedded, stop_embedded

    if not is_embedded():
        raise UsageError("MRE_DATABASE_URL is set: that server is not MRE's to stop")
    print("stopped the embedded PostgreSQL" if stop_embedded() else f"the embedded PostgreSQL ({embedded_pgdata()}) was not running")
    return 0


def run_status(args: argparse.Namespace) -> int:
    from psycopg import sql

    from mre_crawler import db
    from warehouse.migrate import MigrationError, applied, available

    try:
        url = db.database_url()
        with db.connect(url, autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            kind = f"embedded under {db.embedded_pgdata()}" if db.is_embedded() else "MRE_DATABASE_URL"
            started = f", ready in {db.last_start_seconds:.2f} s" if db.last_start_seconds is not None else ""
            print(f"server: PostgreSQL {version} ({kind}{started})")
            print(f"url: {db.redact(url)}")
            done = applied(conn)
            files = available()
            print(f"migrations applied: {', '.join(sorted(done)) or '(none)'}")
            waiting = [m.name for m in files if m.name not in done]
            print(f"migrations pending: {', '.join(waiting) or '(none)'}")
            edited = [m.name for m in files if m.name in done and done[m.name] != m.checksum]
            if edited:
                print(f"EDITED after applying (not allowed): {', '.join(edited)}")
            tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'mre' ORDER BY tablename").fetchall()]
            if tables:
                print("rows:")
                width = max(map(len, tables))
                for t in tables:
                    n = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("mre", t))).fetchone()[0]
                    print(f"  {t:<{width}}  {n:>10,}")
            if "0160_fetched_pages_rendered.sql" in done:
                rendered = conn.execute("SELECT count(*) FILTER (WHERE rendered) FROM mre.fetched_pages").fetchone()[0]
                print(f"rendered in chromium: {rendered:,} page(s) last fetched through the browser")
            if "page_archive" in tables:
                from mre_crawler.archive import archive_for
                from mre_crawler.commands.archive import archive_summary
                from mre_crawler.config import CrawlConfig, env_settings

                archive = archive_for(CrawlConfig.from_settings(env_settings()))
                if archive is not None:
                    print(f"page archive: {archive_summary(conn, archive)}")
    except (db.DatabaseUnavailable, MigrationError) as exc:
        return _fail(exc)
    return 0
