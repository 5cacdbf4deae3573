"""``mre archive status|prune``: the raw page archive (every fetched body, kept once).

Bodies are files under ``MRE_ARCHIVE_DIR`` (default ``MRE_HOME/archive``), named by their
SHA-256 and zstd-compressed; ``mre.page_archive`` indexes them (URL, page type, track, fetch
time, status, hash). ``prune`` drops the index rows of bodies first fetched longer ago than
``--older-than`` (optionally of one track) and deletes the files no row points at any more. It
never removes the body a page's stored rows were last built from, unless ``--include-current``.
Files a killed crawl left without an index row are removed too (after an hour's grace).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import time

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("archive", help="the raw page archive: status, prune",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a_sub = p.add_subparsers(dest="action", metavar="ACTION")
    a_sub.required = True
    a_sub.add_parser("status", help="bodies, sizes and where they are").set_defaults(func=run_status)
    pr = a_sub.add_parser("prune", help="remove old bodies (never the ones stored rows came from, unless asked)")
    pr.add_argument("--older-than", required=True, metavar="DURATION", type=duration,
                    help="first fetched longer ago than this: 90d, 12w, 36h, 0s (everything)")
    pr.add_argument("--track", metavar="SLUG", help="only this track's bodies")
    pr.add_argument("--include-current", action="store_true",
                    help="also the bodies the stored rows were last built from (mre reprocess cannot re-read those pages)")
    pr.add_argument("--dry-run", action="store_true", help="say what would go, remove nothing")
    pr.set_defaults(func=run_prune)


def duration(text: str) -> dt.timedelta:
    m = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", text or "")
    if not m:
        raise argparse.ArgumentTypeError(f"a duration is a number and a unit (s, m, h, d, w), like 90d, not {text!r}")
    return dt.timedelta(seconds=int(m[1]) * UNITS[m[2]])


def _open():
    from mre_crawler.archive import archive_for
    from mre_crawler.cli import UsageError
    from mre_crawler.config import CrawlConfig, env_settings
    from mre_crawler.db import connect, database_url
    from warehouse.migrate import migrate

    archive = archive_for(CrawlConfig.from_settings(env_settings()))
    if archive is None:
        raise UsageError("MRE_ARCHIVE_ENABLED is off")
    conn = connect(database_url(), autocommit=True)
    migrate(conn)
    return archive, conn


def archive_summary(conn, archive) -> str:
    """One line: index rows, distinct bodies, compressed and raw size, where."""
    pages, bodies, stored, raw = conn.execute(
        """SELECT count(*), count(DISTINCT body_sha256),
                  COALESCE(sum(stored_bytes) FILTER (WHERE first), 0), COALESCE(sum(bytes) FILTER (WHERE first), 0)
           FROM (SELECT body_sha256, stored_bytes, bytes,
                        row_number() OVER (PARTITION BY body_sha256) = 1 AS first FROM mre.page_archive) a"""
    ).fetchone()
    ratio = f", {raw / stored:.1f}x" if stored else ""
    return (f"{pages:,} pages, {bodies:,} bodies, {stored / 1e6:,.1f} MB compressed ({raw / 1e6:,.1f} MB raw{ratio}) "
            f"in {archive.root}")


def run_status(args: argparse.Namespace) -> int:
    archive, conn = _open()
    with conn:
        print(f"archive: {archive_summary(conn, archive)}")
        files, size = archive.disk_usage()
        print(f"on disk: {files:,} files, {size / 1e6:,.1f} MB")
    return 0


def prune(conn, archive, older_than: dt.timedelta, track: str | None = None, include_current: bool = False,
          dry_run: bool = False, grace_seconds: float = 3600) -> dict[str, int]:
    """Remove index rows, then the files no row points at. Returns counts."""
    from mre_crawler.archive import remove_orphans

    where = ["a.fetched_at < now() - %s"]
    params: list = [older_than]
    if track:
        where.append("a.track_slug = %s")
        params.append(track.strip().lower())
    if not include_current:
        where.append("NOT EXISTS (SELECT 1 FROM mre.stored_pages s WHERE s.url = a.url AND s.body_sha256 = a.body_sha256)")
    cond = " AND ".join(where)
    if dry_run:
        rows, bodies = conn.execute(
            f"SELECT count(*), count(DISTINCT body_sha256) FROM mre.page_archive a WHERE {cond}",  # noqa: S608 - static text
            params).fetchone()
        return {"rows": rows, "bodies": bodies, "files": 0, "bytes": 0}
    with conn.transaction():
        gone = conn.execute(
            f"DELETE FROM mre.page_archive a WHERE {cond} RETURNING body_sha256",  # noqa: S608 - static text
            params).fetchall()
    # Rows first (committed), files after: a kill in between leaves files without rows, which
    # the next prune removes; never a row without its file.
    indexed = {r[0] for r in conn.execute("SELECT DISTINCT body_sha256 FROM mre.page_archive").fetchall()}
    files, nbytes = 0, 0
    # Only files untouched for the grace time: a running crawl that just found a body's file
    # (and touched it) may be about to commit a new index row for it.
    cutoff = time.time() - grace_seconds
    for sha in {r[0] for r in gone} - indexed:
        path = archive.path(sha)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            continue
        if archive.remove(sha, older_than=cutoff):
            files, nbytes = files + 1, nbytes + size
    orphan_files, orphan_bytes = remove_orphans(archive, indexed, grace_seconds)
    return {"rows": len(gone), "bodies": len({r[0] for r in gone}), "files": files + orphan_files,
            "bytes": nbytes + orphan_bytes}


def run_prune(args: argparse.Namespace) -> int:
    archive, conn = _open()
    with conn:
        done = prune(conn, archive, args.older_than, args.track, args.include_current, args.dry_run)
        verb = "would remove" if args.dry_run else "removed"
        print(f"{verb} {done['rows']:,} index rows ({done['bodies']:,} bodies); "
              f"{done['files']:,} files deleted, {done['bytes'] / 1e6:,.1f} MB freed")
        print(f"archive: {archive_summary(conn, archive)}")
    return 0
