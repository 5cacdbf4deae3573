"""``mre quarantine list|retry``: see the pages that failed, re-process them after a parser fix.

``retry`` is ``mre reprocess`` over the open entries: it re-parses each page's saved body (or,
where the entry kept none, its body in the raw page archive) with the current parsers and the
ids the crawler carried (the entry's ``raw.meta``), runs it through normalize and validate, and
stores what now parses; the store marks those entries resolved. Nothing is fetched again.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("quarantine", help="list quarantined pages, or re-parse them after a parser fix",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    q_sub = p.add_subparsers(dest="action", metavar="ACTION")
    q_sub.required = True
    ls = q_sub.add_parser("list", help="list open quarantine entries (newest first)")
    ls.add_argument("--all", action="store_true", help="include resolved entries")
    ls.add_argument("--json", action="store_true", help="JSON lines")
    ls.set_defaults(func=run_list)
    rt = q_sub.add_parser("retry", help="re-parse saved bodies with the current parsers and store what parses")
    rt.add_argument("--id", dest="quarantine_id", type=int, help="only this entry")
    rt.set_defaults(func=run_retry)


def _connect():
    from mre_crawler.db import connect, database_url
    from warehouse.migrate import migrate

    conn = connect(database_url(), autocommit=True)
    migrate(conn)
    return conn


def run_list(args: argparse.Namespace) -> int:
    conn = _connect()  # an unreachable database is reported by mre_crawler.cli.main (exit 1)
    with conn:
        rows = conn.execute(
            f"""SELECT quarantine_id, url, page_type, item_key, reason, attempts, last_seen, resolved_at,
                       octet_length(body)
                FROM mre.quarantine {'' if args.all else 'WHERE resolved_at IS NULL'}
                ORDER BY last_seen DESC, quarantine_id DESC"""
        ).fetchall()
    for qid, url, page_type, item_key, reason, attempts, last_seen, resolved_at, nbytes in rows:
        if args.json:
            print(json.dumps({"id": qid, "url": url, "page_type": page_type, "item_key": item_key, "reason": reason,
                              "attempts": attempts, "last_seen": last_seen.isoformat(),
                              "resolved_at": resolved_at.isoformat() if resolved_at else None, "bytes": nbytes}))
        else:
            part = f" [{item_key}]" if item_key else ""
            state = f" resolved {resolved_at:%Y-%m-%d}" if resolved_at else ""
            print(f"{qid:>6}  {page_type or '?':<14} {url}{part}\n        {reason} "
                  f"(seen {attempts}x, last {last_seen:%Y-%m-%d %H:%M}){state}")
    if not args.json:
        print(f"{len(rows)} {'entries' if args.all else 'open entries'}")
    return 0


@dataclass
class RetryOutcome:
    quarantine_id: int
    url: str
    stored: bool
    reason: str


def retry_entries(conn, quarantine_id: int | None = None, archive_root=None, jobs: int = 1) -> list[RetryOutcome]:
    """Re-parse open quarantined pages and store those that parse now: :func:`mre_crawler.reprocess.reprocess`
    over the open entries (one per page), each from the body its entry kept or, where it kept
    none, from the raw page archive. One outcome per page tried."""
    from mre_crawler.reprocess import reprocess, select_quarantined

    work = select_quarantined(conn, quarantine_id)
    result = reprocess(conn, archive_root, work, jobs=jobs, batch_pages=50, keep_outcomes=True)
    outcomes: list[RetryOutcome] = []
    for o in result.outcomes:
        w = o.work
        if o.kind == "write":
            rejected = f"; {o.rejected} rows rejected again" if o.rejected else ""
            source = "" if w.body is not None else " (body from the archive)"
            outcomes.append(RetryOutcome(w.quarantine_id, w.url, True, f"stored{rejected}{source}"))
        else:
            outcomes.append(RetryOutcome(w.quarantine_id, w.url, False, o.reason or o.kind))
    return outcomes


def run_retry(args: argparse.Namespace) -> int:
    from mre_crawler.archive import archive_for
    from mre_crawler.config import CrawlConfig, env_settings

    archive = archive_for(CrawlConfig.from_settings(env_settings()))
    conn = _connect()  # an unreachable database is reported by mre_crawler.cli.main (exit 1)
    with conn:
        outcomes = retry_entries(conn, args.quarantine_id, archive.root if archive is not None else None)
    for o in outcomes:
        print(f"{o.quarantine_id:>6}  {'stored ' if o.stored else 'kept   '} {o.url}  {o.reason}")
    stored = sum(o.stored for o in outcomes)
    print(f"{stored} of {len(outcomes)} quarantined pages stored; {len(outcomes) - stored} kept in quarantine")
    return 0
