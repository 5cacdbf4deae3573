"""``mre bumpups EVENT [--json] [--html FILE]`` and ``mre bumpups correct EVENT ...``.

The report reads the published warehouse DuckDB file (``--warehouse``, else ``$MRE_WAREHOUSE_PATH``,
else ``warehouse.duckdb`` in ``$MRE_HOME``); when the file does not exist the command says so in one
line and exits 1 (run ``mre warehouse build``). Corrections are written to PostgreSQL
(``mre.bumpup_corrections``) and applied by the next ``mre warehouse build``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from mre_crawler.warehouse_option import add_warehouse_option


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bumpups",
        help="show an event's bump-ups (table, --json, --html) or correct them",
        description="Show which drivers bumped up from a lower main into a higher one at an event, "
        "read from the warehouse. 'mre bumpups correct EVENT --add|--suppress|--clear --driver ID "
        "--to RACE [--from RACE] --reason TEXT' records a correction a person made.",
        usage="mre bumpups EVENT [--json] [--html FILE] [--warehouse PATH]\n"
        "       mre bumpups correct EVENT (--add|--suppress|--clear) --driver ID --to RACE [--from RACE] --reason TEXT",
    )
    p.add_argument("event", help="the event: its LiveRC URL or id (or the word 'correct', see below)")
    p.add_argument("correct_event", nargs="?", help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="print the report as JSON for scripts")
    p.add_argument("--html", type=Path, metavar="FILE", help="write a self-contained HTML page with a ladder chart per class")
    add_warehouse_option(p)
    action = p.add_mutually_exclusive_group()
    action.add_argument("--add", dest="action", action="store_const", const="add",
                        help="correct: the driver bumped from --from into --to")
    action.add_argument("--suppress", dest="action", action="store_const", const="suppress",
                        help="correct: the detected bump-up of the driver into --to is not one")
    action.add_argument("--clear", dest="action", action="store_const", const="clear",
                        help="correct: withdraw the earlier correction for the driver and --to")
    p.add_argument("--driver", metavar="ID", help="correct: the LiveRC driver id")
    p.add_argument("--from", dest="from_race", metavar="RACE", help="correct: the source race id (--add)")
    p.add_argument("--to", dest="to_race", metavar="RACE", help="correct: the target race id")
    p.add_argument("--reason", help="correct: why (required)")
    p.add_argument("--by", help="correct: who (default: the OS user)")
    p.set_defaults(func=run)


def event_id_from(text: str) -> int:
    """An event id from ``486677`` or an event URL (``...?p=view_event&id=486677``)."""
    from mre_crawler.cli import UsageError
    from mre_crawler.urls import BadURL, read_url

    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        page = read_url(text)
    except BadURL as exc:
        raise UsageError(f"not an event id or LiveRC event URL: {text!r} ({exc})") from None
    if page.page_type != "event" or page.id is None:
        raise UsageError(f"not an event URL (it is a {page.page_type} page): {text}")
    return int(page.id)


def run(args: argparse.Namespace) -> int:
    from mre_crawler.cli import UsageError

    if args.event == "correct":
        if not args.correct_event:
            raise UsageError("correct needs an EVENT: mre bumpups correct EVENT --add|--suppress|--clear ...")
        return run_correct(args, event_id_from(args.correct_event))
    if args.correct_event:
        raise UsageError(f"unexpected argument {args.correct_event!r}")
    if args.action:
        raise UsageError("--add/--suppress/--clear belong to 'mre bumpups correct EVENT ...'")
    return run_report(args, event_id_from(args.event))


def _ensure_warehouse(path: Path) -> bool:
    """The warehouse must have been built; one line and exit 1 when it was not."""
    from mre_crawler.warehouse_option import require_warehouse

    require_warehouse(path, "mre bumpups")
    return True


def run_report(args: argparse.Namespace, event_id: int) -> int:
    import duckdb
    from rich.console import Console

    from mre_crawler.bumpups import EventNotInWarehouse, load_event_report, print_report, render_html, report_to_json
    from mre_crawler.warehouse_option import chosen_warehouse

    path: Path = chosen_warehouse(args)
    _ensure_warehouse(path)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        print(f"mre bumpups: cannot open {path}: {exc}", file=sys.stderr)
        return 1
    try:
        report = load_event_report(con, event_id)
    except EventNotInWarehouse as exc:
        print(f"mre bumpups: {exc}", file=sys.stderr)
        return 1
    except duckdb.CatalogException as exc:
        print(f"mre bumpups: {path} has no bump-up marts (rebuild it with mre warehouse build): {exc}",
              file=sys.stderr)
        return 1
    finally:
        con.close()
    if args.html:
        args.html.write_text(render_html(report), encoding="utf-8")
        print(f"wrote {args.html}", file=sys.stderr)
    if args.json:
        json.dump(report_to_json(report), sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    elif not args.html:
        # piped output (a file, a script) gets a wide console so rows are not wrapped
        print_report(report, Console() if sys.stdout.isatty() else Console(width=200))
    return 0


def run_correct(args: argparse.Namespace, event_id: int) -> int:
    from mre_crawler.bumpups.corrections import CorrectionError, record_correction
    from mre_crawler.cli import UsageError
    from mre_crawler.db import DatabaseUnavailable, connect

    if not args.action:
        raise UsageError("say what to do: --add, --suppress or --clear")
    for attr, name in (("driver", "--driver"), ("to_race", "--to"), ("from_race", "--from")):
        value = getattr(args, attr)
        if value is not None:
            try:
                setattr(args, attr, int(str(value).strip()))
            except ValueError:
                raise UsageError(f"{name} wants a numeric id, not {value!r}") from None
    if args.driver is None or args.to_race is None:
        raise UsageError("--driver ID and --to RACE are required")
    if args.action == "add" and args.from_race is None:
        raise UsageError("--add needs --from RACE (the lower main the driver bumped from)")
    if not (args.reason or "").strip():
        raise UsageError("--reason TEXT is required (say why, for the next person)")
    for name, value in (("EVENT", event_id), ("--driver", args.driver), ("--to", args.to_race),
                        ("--from", args.from_race)):
        if value is not None and not 1 <= value <= 2**63 - 1:
            raise UsageError(f"{name} wants an id from 1 to {2**63 - 1}, not {value}")
    if args.action != "add" and args.from_race is not None:
        raise UsageError("--from goes with --add only")
    warehouse = None
    if args.action == "add":
        from mre_crawler.warehouse_option import chosen_warehouse

        warehouse = chosen_warehouse(args)
    try:
        conn = connect()
    except DatabaseUnavailable as exc:
        print(f"mre bumpups correct: {exc}", file=sys.stderr)
        return 1
    try:
        with conn:
            correction_id = record_correction(
                conn, event_id=event_id, action=args.action, driver_id=args.driver,
                source_race_id=args.from_race, target_race_id=args.to_race, reason=args.reason.strip(),
                set_by=args.by or getpass.getuser(), warehouse=warehouse,
                ensure_warehouse=_ensure_warehouse,
            )
    except CorrectionError as exc:
        raise UsageError(str(exc)) from None
    finally:
        conn.close()
    print(f"recorded correction {correction_id} ({args.action} driver {args.driver} into race {args.to_race}); "
          "it applies from the next 'mre warehouse build'")
    return 0
