"""``mre session-type set|clear|list|backfill``: curate and backfill race session types.

- ``set RACE_ID TYPE --reason TEXT [--kind KIND]``: a person's override (who = ``$MRE_USER`` or
  the OS user, when = now, why = the reason), kept in ``mre.session_type_overrides``.
- ``clear RACE_ID --reason TEXT``: withdraw the override; inference speaks again.
- ``list [--low-confidence] [--event ID] [--json]``: the published warehouse's session types
  with the curation table applied (the warehouse is built first when missing, and it says so).
- ``backfill [--batch N] [--min-confidence high|medium|low] [--dry-run] [--rollback RUN]``:
  write the session types into ``mre.races.session_type`` (see warehouse/session_types.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "session-type",
        help="curate race session types (override, list low confidence, backfill into PostgreSQL)",
        description="Race session types: set a person's override, list what the warehouse inferred "
        "(and what needs a human), and backfill the inferred types into PostgreSQL races.session_type.",
    )
    ssub = p.add_subparsers(dest="session_type_command", metavar="ACTION")
    ssub.required = True

    s = ssub.add_parser("set", help="set a race's session type by hand (wins over inference, survives re-crawls)")
    s.add_argument("race_id", type=int, metavar="RACE_ID")
    s.add_argument("session_type", metavar="TYPE", help="race | practice | qualifying | practiceday")
    s.add_argument("--reason", required=True, help="why (kept with who and when)")
    s.add_argument("--kind", help="the finer session kind (main, heat, lcq, ...); default: the inferred kind "
                   "when the type matches, else unknown")
    s.set_defaults(func=run_set)

    c = ssub.add_parser("clear", help="withdraw a race's override (inference applies again)")
    c.add_argument("race_id", type=int, metavar="RACE_ID")
    c.add_argument("--reason", required=True)
    c.set_defaults(func=run_clear)

    ls = ssub.add_parser("list", help="list races with session type, kind, confidence and signals")
    ls.add_argument("--low-confidence", action="store_true", help="only races that need a human")
    ls.add_argument("--event", type=int, help="only this event's races")
    ls.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    ls.add_argument("--path", type=Path, help="the warehouse file (default: $MRE_WAREHOUSE_PATH)")
    ls.set_defaults(func=run_list)

    b = ssub.add_parser("backfill", help="write inferred session types into PostgreSQL races.session_type")
    b.add_argument("--batch", type=int, default=1000, help="races per transaction (default 1000)")
    b.add_argument("--min-confidence", choices=("high", "medium", "low"), default="high",
                   help="write types at least this sure (overrides always count; default high)")
    b.add_argument("--dry-run", action="store_true", help="print what would change and change nothing")
    b.add_argument("--rollback", type=int, metavar="RUN", help="restore the values backfill run RUN changed")
    b.add_argument("--max-batches", type=int, help="stop after N batches (the run stays resumable)")
    b.add_argument("--path", type=Path, help="the warehouse file (default: $MRE_WAREHOUSE_PATH)")
    b.set_defaults(func=run_backfill)


def _connect():  # noqa: ANN202
    from mre_crawler.db import connect, database_url

    url = database_url()
    return url, connect(url, autocommit=True)


def _usage(exc: Exception) -> None:
    from mre_crawler.cli import UsageError

    raise UsageError(str(exc)) from None


def run_set(args: argparse.Namespace) -> int:
    from warehouse.session_types import CurationError, set_override

    _, conn = _connect()
    with conn:
        try:
            row = set_override(conn, args.race_id, args.session_type, args.reason, session_kind=args.kind)
        except CurationError as exc:
            _usage(exc)
    print(f"race {row['race_id']}: session type {row['session_type']}"
          f"{' (' + row['session_kind'] + ')' if row['session_kind'] else ''} set by {row['set_by']} "
          f"at {row['set_at']:%Y-%m-%d %H:%M:%S%z}: {row['reason']}")
    print("the published warehouse shows it after the next `mre warehouse build`")
    return 0


def run_clear(args: argparse.Namespace) -> int:
    from warehouse.session_types import CurationError, set_override

    _, conn = _connect()
    with conn:
        try:
            row = set_override(conn, args.race_id, None, args.reason, clear=True)
        except CurationError as exc:
            _usage(exc)
    print(f"race {row['race_id']}: override cleared by {row['set_by']}: {row['reason']}")
    return 0


def _warehouse_rows(args: argparse.Namespace, url: str, conn, command: str) -> list[dict[str, Any]]:  # noqa: ANN001
    import duckdb

    from mre_crawler.commands.warehouse import ensure_warehouse
    from warehouse.runner import warehouse_path
    from warehouse.session_types import latest_overrides, session_type_rows

    path = args.path or warehouse_path()
    ensure_warehouse(path, url, command)
    with duckdb.connect(str(path), read_only=True) as wh:
        return session_type_rows(wh, latest_overrides(conn))


def run_list(args: argparse.Namespace) -> int:
    from warehouse.session_types import needs_a_human

    url, conn = _connect()
    with conn:
        rows = _warehouse_rows(args, url, conn, "mre session-type list")
    if args.event is not None:
        rows = [r for r in rows if r["event_id"] == args.event]
    if args.low_confidence:
        rows = needs_a_human(rows)
    if args.json:
        for r in rows:
            print(json.dumps(r, default=str, sort_keys=True))
        return 0
    table = Table(title=f"{len(rows)} races" + (" needing a human (low confidence)" if args.low_confidence else ""))
    for col in ("race", "event", "race name", "round", "type", "kind", "confidence", "agreed", "disagreed"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["race_id"]), str(r["event_id"]), r["race_name"] or "", r["round_name"] or "",
                      r["session_type"], r["session_kind"], r["confidence"], ",".join(r["signals_agreed"] or []),
                      ",".join(r["signals_disagreed"] or []))
    Console(width=200).print(table)
    return 0


def run_backfill(args: argparse.Namespace) -> int:
    from warehouse.session_types import (
        CurationError, plan_backfill, resume_backfill, rollback, start_backfill, unfinished_run,
    )

    url, conn = _connect()
    with conn:
        try:
            if args.rollback is not None:
                new_run, restored = rollback(conn, args.rollback)
                print(f"rollback run {new_run}: restored {restored} races changed by backfill run {args.rollback}")
                return 0
            pending = unfinished_run(conn)
            if pending and not args.dry_run:
                run_id, applied, planned = pending
                print(f"resuming backfill run {run_id}: {applied}/{planned} races already done")
            else:
                rows = _warehouse_rows(args, url, conn, "mre session-type backfill")
                plan = plan_backfill(conn, rows, args.min_confidence)
                if args.dry_run:
                    _print_plan(plan, pending)
                    return 0
                run_id = start_backfill(conn, plan, batch_size=args.batch, min_confidence=args.min_confidence)
                print(f"backfill run {run_id}: {len(plan)} races to write (min confidence {args.min_confidence}, "
                      f"batches of {args.batch})")

            def progress(batch: int, applied: int, planned: int) -> None:
                print(f"  batch {batch}: {applied}/{planned} races done", file=sys.stderr)

            applied, planned, status = resume_backfill(
                conn, run_id, batch_size=args.batch, max_batches=args.max_batches, progress=progress)
        except CurationError as exc:
            _usage(exc)
    print(f"backfill run {run_id}: {applied}/{planned} races done, {status}"
          + ("" if status == "finished" else " (run the command again to resume)"))
    print(f"undo with: mre session-type backfill --rollback {run_id}")
    return 0


def _print_plan(plan: list, pending: tuple | None) -> None:  # noqa: ANN001
    from collections import Counter

    print(f"dry run: {len(plan)} races would change (nothing was written)")
    if pending:
        print(f"note: backfill run {pending[0]} is unfinished ({pending[1]}/{pending[2]}); a real run resumes it")
    by = Counter((c.confidence, c.old_session_type, c.new_session_type) for c in plan)
    for (confidence, old, new), n in sorted(by.items(), key=lambda kv: (-kv[1], kv[0][0])):
        print(f"  {n:>8}  {old or 'NULL'} -> {new}  ({confidence})")
    for c in plan:
        print(f"race {c.race_id}\t{c.old_session_type or 'NULL'} -> {c.new_session_type}\t{c.confidence}\t{c.race_name or ''}")
