"""``mre session-type set|clear|list|backfill``: curate and backfill race session types.

- ``set RACE_ID TYPE --reason TEXT [--kind KIND]``: a person's override (who = ``$MRE_USER`` or
  the OS user, when = now, why = the reason), kept in ``mre.session_type_overrides``.
- ``clear RACE_ID --reason TEXT``: withdraw the override; inference speaks again.
- ``list [--low-confidence] [--event ID] [--json]``: the published warehouse's session types
  with the curation table applied (the warehouse is built first when missing, and it says so).
- ``backfill [--batch N] [--min-confidence high|medium|low] [--dry-run] [--wait] [--rollback RUN [--stop]]``:
  write the session types into ``mre.races.session_type`` (see warehouse/session_types.py). One
  backfill or rollback at a time (the ``session-type`` lock of :mod:`mre_crawler.rollout_lock`): a
  second exits 1 naming the running run, or waits with ``--wait``; ``--rollback`` of a running
  run needs ``--stop`` (the run stops after its current batch, then is rolled back).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from mre_crawler.warehouse_option import add_warehouse_option


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
    s.add_argument("race_id", metavar="RACE_ID")
    s.add_argument("session_type", metavar="TYPE", help="race | practice | qualifying | practiceday")
    s.add_argument("--reason", required=True, help="why (kept with who and when)")
    s.add_argument("--kind", help="the finer session kind (main, heat, lcq, ...); default: the inferred kind "
                   "when the type matches, else unknown")
    s.set_defaults(func=run_set)

    c = ssub.add_parser("clear", help="withdraw a race's override (inference applies again)")
    c.add_argument("race_id", metavar="RACE_ID")
    c.add_argument("--reason", required=True)
    c.set_defaults(func=run_clear)

    ls = ssub.add_parser("list", help="list races with session type, kind, confidence and signals")
    ls.add_argument("--low-confidence", action="store_true", help="only races that need a human")
    ls.add_argument("--event", help="only this event's races")
    ls.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    add_warehouse_option(ls)
    ls.set_defaults(func=run_list)

    b = ssub.add_parser("backfill", help="write inferred session types into PostgreSQL races.session_type")
    b.add_argument("--batch", help="races per transaction (default 1000; a resumed run keeps "
                   "its own unless given)")
    b.add_argument("--min-confidence", choices=("high", "medium", "low"),
                   help="write types at least this sure (overrides always count; default high); a resumed "
                   "run keeps the one it started with, and a different one is refused")
    b.add_argument("--dry-run", action="store_true", help="print what would change and change nothing")
    b.add_argument("--rollback", metavar="RUN", help="restore the values backfill run RUN changed")
    b.add_argument("--stop", action="store_true", help="with --rollback of a running run: ask it to stop after "
                   "its current batch, wait for it, then roll it back")
    b.add_argument("--wait", action="store_true", help="wait for a running backfill/rollback instead of exiting 1")
    b.add_argument("--max-batches", help="stop after N batches (the run stays resumable)")
    add_warehouse_option(b)
    b.set_defaults(func=run_backfill)


_BIGINT_MAX = 2**63 - 1


def _positive(text: str | None, name: str) -> int | None:
    """A whole number from 1 up to PostgreSQL's bigint, else a one-line UsageError (exit 2)."""
    from mre_crawler.cli import UsageError

    if text is None:
        return None
    try:
        n = int(str(text).strip())
    except ValueError:
        raise UsageError(f"{name} wants a whole number, not {text!r}") from None
    if not 1 <= n <= _BIGINT_MAX:
        raise UsageError(f"{name} wants a number from 1 to {_BIGINT_MAX}, not {text}")
    return n


def _check_numbers(args: argparse.Namespace) -> None:
    for attr, name in (("race_id", "RACE_ID"), ("batch", "--batch"), ("rollback", "--rollback"),
                       ("max_batches", "--max-batches"), ("event", "--event")):
        if hasattr(args, attr):
            setattr(args, attr, _positive(getattr(args, attr), name))


def _connect():  # noqa: ANN202
    from mre_crawler.db import connect, database_url

    url = database_url()
    return url, connect(url, autocommit=True)


def _usage(exc: Exception) -> None:
    from mre_crawler.cli import UsageError

    raise UsageError(str(exc)) from None


def run_set(args: argparse.Namespace) -> int:
    _check_numbers(args)
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
    _check_numbers(args)
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

    from mre_crawler.warehouse_option import chosen_warehouse, require_warehouse
    from warehouse.session_types import latest_overrides, session_type_rows

    path = require_warehouse(chosen_warehouse(args), command)
    with duckdb.connect(str(path), read_only=True) as wh:
        return session_type_rows(wh, latest_overrides(conn))


def run_list(args: argparse.Namespace) -> int:
    from warehouse.session_types import needs_a_human

    from mre_crawler.warehouse_option import chosen_warehouse, require_warehouse

    _check_numbers(args)
    require_warehouse(chosen_warehouse(args), "mre session-type list")  # before the database: one line
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


LOCK = "session-type"


def run_backfill(args: argparse.Namespace) -> int:
    from mre_crawler.rollout_lock import WriterBusy, acquire, release
    from warehouse.session_types import (
        CurationError, current_user, plan_backfill, resume_backfill, run_settings,
        start_backfill, unfinished_run,
    )

    _check_numbers(args)
    if args.stop and args.rollback is None:
        raise _usage_error("--stop goes with --rollback RUN (it stops that run, then rolls it back)")
    if args.rollback is not None and (args.dry_run or args.max_batches or args.batch or args.min_confidence):
        raise _usage_error("--rollback RUN takes no --dry-run, --batch, --min-confidence or --max-batches")
    url, conn = _connect()
    user = current_user()
    with conn:
        try:
            if args.rollback is not None:
                return _rollback(conn, args, user)
            if args.dry_run:
                rows = _warehouse_rows(args, url, conn, "mre session-type backfill")
                plan = plan_backfill(conn, rows, args.min_confidence or "high")
                _print_plan(plan, unfinished_run(conn))
                return 0
            try:
                acquire(conn, LOCK, "a session-type backfill", user, wait=args.wait, on_wait=_waiting)
            except WriterBusy as exc:
                return _busy(exc)
            try:
                pending = unfinished_run(conn)
                if pending:
                    run_id, applied, planned = pending
                    min_confidence, run_batch = run_settings(conn, run_id)
                    if args.min_confidence and args.min_confidence != min_confidence:
                        raise CurationError(
                            f"backfill run {run_id} is unfinished with --min-confidence {min_confidence}; resume it "
                            f"without --min-confidence {args.min_confidence}, or roll it back first "
                            f"(mre session-type backfill --rollback {run_id})")
                    _describe(conn, f"backfill run {run_id}", user)
                    print(f"resuming backfill run {run_id}: {applied}/{planned} races already done "
                          f"(min confidence {min_confidence}, batches of {args.batch or run_batch})")
                else:
                    min_confidence = args.min_confidence or "high"
                    rows = _warehouse_rows(args, url, conn, "mre session-type backfill")
                    plan = plan_backfill(conn, rows, min_confidence)
                    run_id = start_backfill(conn, plan, batch_size=args.batch or 1000, min_confidence=min_confidence)
                    _describe(conn, f"backfill run {run_id}", user)
                    print(f"backfill run {run_id}: {len(plan)} races to write (min confidence {min_confidence}, "
                          f"batches of {args.batch or 1000})")

                def progress(batch: int, applied: int, planned: int) -> None:
                    print(f"  batch {batch}: {applied}/{planned} races done", file=sys.stderr)

                applied, planned, status = resume_backfill(
                    conn, run_id, batch_size=args.batch, max_batches=args.max_batches, progress=progress)
            finally:
                release(conn, LOCK)
        except CurationError as exc:
            _usage(exc)
    if status == "stopped":
        print(f"backfill run {run_id}: {applied}/{planned} races done, stopped on request")
        return 0
    print(f"backfill run {run_id}: {applied}/{planned} races done, {status}"
          + ("" if status == "finished" else " (run the command again to resume)"))
    print(f"undo with: mre session-type backfill --rollback {run_id}")
    return 0


def _rollback(conn, args: argparse.Namespace, user: str) -> int:  # noqa: ANN001
    from mre_crawler.rollout_lock import WriterBusy, acquire, release, try_acquire
    from warehouse.session_types import request_stop, rollback

    run_id = args.rollback
    what = f"a rollback of backfill run {run_id}"
    if not try_acquire(conn, LOCK, what, user):
        running = conn.execute(
            "select run_id from mre.session_type_backfill_runs where kind = 'backfill' and status = 'running' "
            "and run_id = %s", (run_id,)).fetchone()
        if running and not args.stop:
            from mre_crawler.rollout_lock import holder

            print(f"mre session-type: backfill run {run_id} is running ({holder(conn, LOCK)}); "
                  f"stop and roll it back with --rollback {run_id} --stop", file=sys.stderr)
            return 1
        if running:
            request_stop(conn, run_id)
            print(f"asked backfill run {run_id} to stop after its current batch; waiting for it", file=sys.stderr)
        try:
            acquire(conn, LOCK, what, user, wait=bool(running) or args.wait, on_wait=_waiting)
        except WriterBusy as exc:
            return _busy(exc)
    try:
        new_run, restored = rollback(conn, run_id)
    finally:
        release(conn, LOCK)
    print(f"rollback run {new_run}: restored {restored} races changed by backfill run {run_id}")
    return 0


def _describe(conn, what: str, user: str) -> None:  # noqa: ANN001
    from mre_crawler.rollout_lock import describe

    describe(conn, LOCK, what, user)


def _waiting(who: str) -> None:
    print(f"waiting: {who}", file=sys.stderr)


def _busy(exc: Exception) -> int:
    print(f"mre session-type: {exc}; try again later or add --wait", file=sys.stderr)
    return 1


def _usage_error(text: str) -> Exception:
    from mre_crawler.cli import UsageError

    return UsageError(text)


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
