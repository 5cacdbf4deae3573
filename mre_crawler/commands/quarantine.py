"""``mre quarantine list|retry``: see the pages that failed, re-process them after a parser fix.

``retry`` re-parses each saved body with the current parsers (with the ids the crawler carried,
kept in the entry's ``raw.meta``), runs it through normalize and validate, and stores what now
parses; the store marks those entries resolved. Nothing is fetched again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any


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


def retry_entries(conn, quarantine_id: int | None = None) -> list[RetryOutcome]:
    """Re-parse open quarantined bodies; store those that parse now. One outcome per entry tried."""
    from mre_crawler.errors import PageError
    from mre_crawler.items import PageItem
    from mre_crawler.parsers import parse_page
    from mre_crawler.store import Store, UnsupportedItem
    from pipelines.normalize import NormalizePipeline
    from pipelines.validate import ValidatePipeline

    where = "resolved_at IS NULL AND body IS NOT NULL"
    params: tuple[Any, ...] = ()
    if quarantine_id is not None:
        where += " AND quarantine_id = %s"
        params = (quarantine_id,)
    entries = conn.execute(
        f"SELECT quarantine_id, url, page_type, body, raw FROM mre.quarantine WHERE {where} ORDER BY quarantine_id",
        params,
    ).fetchall()
    store = Store(conn, batch_size=1)
    normalize, validate = NormalizePipeline(), ValidatePipeline()
    outcomes: list[RetryOutcome] = []
    done_urls: set[str] = set()
    for qid, url, page_type, body, raw in entries:
        if url in done_urls:  # another entry of the same page: that page was just re-processed
            continue
        meta = dict((raw or {}).get("meta") or {})
        try:
            result = parse_page(bytes(body), url, page_type, meta)
        except PageError as exc:
            outcomes.append(RetryOutcome(qid, url, False, f"still unreadable: {exc.reason}"))
            continue
        if not result.items:
            outcomes.append(RetryOutcome(qid, url, False, "parses, but holds no items"))
            continue
        item = result.items[0] if len(result.items) == 1 else list(result.items)
        page = PageItem(url=url, page_type=result.page_type, fetched_at=dt.datetime.now(dt.timezone.utc),
                        item=item, body=bytes(body))
        page = validate.process_item(normalize.process_item(page))
        try:
            store.write_page(page)
        except UnsupportedItem:
            outcomes.append(RetryOutcome(qid, url, False, f"no table for {page_type} pages yet"))
            continue
        done_urls.add(url)
        rejected = f"; {len(page.rejected)} rows rejected again" if page.rejected else ""
        outcomes.append(RetryOutcome(qid, url, True, f"stored{rejected}"))
    store.flush()
    return outcomes


def run_retry(args: argparse.Namespace) -> int:
    conn = _connect()  # an unreachable database is reported by mre_crawler.cli.main (exit 1)
    with conn:
        outcomes = retry_entries(conn, args.quarantine_id)
    for o in outcomes:
        print(f"{o.quarantine_id:>6}  {'stored ' if o.stored else 'kept   '} {o.url}  {o.reason}")
    stored = sum(o.stored for o in outcomes)
    print(f"{stored} of {len(outcomes)} quarantined pages stored; {len(outcomes) - stored} kept in quarantine")
    return 0
