"""Apply the PostgreSQL migrations in ``sql/postgres/NNNN_name.sql``, in order.

Rules (after dbmate): each file is applied once, in its own transaction, and recorded in
``mre.schema_migrations`` with its SHA-256; an applied file is never edited (a changed checksum is
an error, :class:`MigrationError`); concurrent migrators (two crawls starting at once) are
serialized with a transaction-level advisory lock, so the second one sees the first one's work.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "sql" / "postgres"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Arbitrary constant for pg_advisory_xact_lock: "MRE" + "migr" in ASCII-ish digits.
ADVISORY_LOCK_KEY = 7_715_269_001

_BOOTSTRAP = """
CREATE SCHEMA IF NOT EXISTS mre;
CREATE TABLE IF NOT EXISTS mre.schema_migrations (
    name        text PRIMARY KEY,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
"""


class MigrationError(Exception):
    """A migration could not be applied, or an applied file was edited."""


@dataclass(frozen=True)
class Migration:
    name: str  # file name, e.g. "0001_core.sql"
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def available(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in name order; a stray .sql file with a bad name is an error."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        if not _NAME.match(path.name):
            raise MigrationError(f"{path.name}: migration files are named NNNN_lower_snake.sql")
        found.append(Migration(path.name, path))
    numbers = [m.name[:4] for m in found]
    dupes = sorted({n for n in numbers if numbers.count(n) > 1})
    if dupes:
        raise MigrationError(f"two migrations share the number {', '.join(dupes)}")
    return found


def applied(conn: psycopg.Connection) -> dict[str, str]:
    """Applied migration names -> checksum ({} on a database never migrated)."""
    row = conn.execute("SELECT to_regclass('mre.schema_migrations')").fetchone()
    if row is None or row[0] is None:
        return {}
    return dict(conn.execute("SELECT name, checksum FROM mre.schema_migrations ORDER BY name").fetchall())


def pending(conn: psycopg.Connection, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    done = applied(conn)
    _check_unchanged(done, available(directory))
    return [m for m in available(directory) if m.name not in done]


def _check_unchanged(done: dict[str, str], files: list[Migration]) -> None:
    by_name = {m.name: m for m in files}
    for name, checksum in done.items():
        m = by_name.get(name)
        if m is not None and m.checksum != checksum:
            raise MigrationError(
                f"{name} was edited after it was applied (checksum {checksum[:12]} in the database, "
                f"{m.checksum[:12]} on disk); applied migrations are never edited: add a new file"
            )


def migrate(conn: psycopg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every pending migration; return the names applied (empty when up to date)."""
    files = available(directory)
    done_now: list[str] = []
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.commit()
    with conn.transaction():
        # Bootstrapping is itself serialized: two first-time migrators would race on CREATE TABLE.
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
        conn.execute(_BOOTSTRAP)
    for m in files:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
            done = applied(conn)  # re-read under the lock: another process may have applied it
            _check_unchanged(done, files)
            if m.name in done:
                continue
            try:
                conn.execute(m.sql)
            except psycopg.Error as exc:
                raise MigrationError(f"{m.name}: {str(exc).strip().splitlines()[0]}") from exc
            conn.execute(
                "INSERT INTO mre.schema_migrations (name, checksum) VALUES (%s, %s)", (m.name, m.checksum)
            )
            done_now.append(m.name)
    return done_now
