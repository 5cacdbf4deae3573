"""``mre health [--since 24h] [--json] [--prometheus FILE] [--webhook URL]``: the alert rules over
the stored runs (``mre_crawler.alerts``); exit 0 when all pass, 3 when any fires."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from mre_crawler.eventlog import add_option

    p = sub.add_parser(
        "health",
        help="evaluate the alert rules over the stored runs (exit 3 when any fires)",
        description="Evaluate the alert rules (practice discovery and ingestion failures, rate "
        "limiting, practice drift, low-confidence session types, stale syncs of followed tracks, "
        "quarantine growth) over the runs stored in PostgreSQL, print each rule with its value, "
        "threshold (MRE_ALERT_* settings) and state. Exit 0 when all pass, 3 when any fires.",
    )
    p.add_argument("--since", default="24h", help="window of runs to evaluate: 24h, 90m, 7d (default 24h)")
    p.add_argument("--json", action="store_true", help="print the rules as JSON")
    p.add_argument("--prometheus", type=Path, metavar="FILE",
                   help="write metrics and alert states to FILE (node_exporter textfile format, atomically)")
    p.add_argument("--webhook", metavar="URL",
                   help="post firing alerts as JSON to URL once per change of state (default: $MRE_ALERT_WEBHOOK)")
    add_option(p)
    p.set_defaults(func=run_health)


def run_health(args: argparse.Namespace) -> int:
    from mre_crawler.alerts import parse_since
    from mre_crawler.cli import UsageError
    from mre_crawler.config import AlertSettings
    from mre_crawler.db import connect
    from warehouse.migrate import migrate

    try:
        since = parse_since(args.since)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    settings = AlertSettings.from_settings()
    if args.webhook and not args.webhook.startswith(("http://", "https://")):
        raise UsageError(f"--webhook must be an http(s):// URL, not {args.webhook!r}")
    webhook = args.webhook or settings.webhook
    with connect(autocommit=True) as conn:
        migrate(conn)
        results, outcome = check_and_report(conn, since, settings, prometheus=args.prometheus, webhook=webhook)
    if args.json:
        print(json.dumps({"since": args.since, "firing": any(r.firing for r in results),
                          "webhook": outcome, "rules": [r.as_json() for r in results]}, indent=2))
    else:
        from mre_crawler.alerts import format_table

        print(format_table(results))
        if outcome:
            print(f"webhook: {outcome}")
        if args.prometheus:
            print(f"prometheus: {args.prometheus}")
    if outcome and outcome.startswith("failed"):
        print(f"mre health: alert webhook {outcome}", file=sys.stderr)
    from mre_crawler.exitcodes import EXIT_OK, EXIT_UNHEALTHY

    return EXIT_UNHEALTHY if any(r.firing for r in results) else EXIT_OK


def check_and_report(conn, since, settings, *, prometheus: Path | None = None, webhook: str = ""):  # noqa: ANN001
    """Evaluate the rules, log each as an event, write the Prometheus file and notify the webhook:
    what ``mre health`` and the end of ``mre sync`` share. Returns (results, webhook outcome or '')."""
    from mre_crawler import alert_outputs, alerts
    from mre_crawler.eventlog import emit

    results = alerts.evaluate(conn, since, settings=settings)
    for r in results:
        emit("alert", rule=r.rule, state=r.state, value=r.value, threshold=r.threshold, detail=r.detail)
    if prometheus is not None:
        alert_outputs.write_prometheus(conn, results, prometheus, since)
    outcome = ""
    if webhook:
        outcome = alert_outputs.notify_webhook(conn, results, webhook, timeout=settings.webhook_timeout)
    return results, outcome


def sync_end_check(conn, result) -> list[str]:  # noqa: ANN001
    """``mre sync``'s end check (registered in ``mre_crawler.sync.runner.END_CHECKS``): the same
    rules over the last ``MRE_ALERT_SYNC_WINDOW`` hours, the webhook notified, one line per firing rule."""
    import os
    from datetime import timedelta

    from mre_crawler.config import AlertSettings

    settings = AlertSettings.from_settings()
    hours = float(os.environ.get("MRE_ALERT_SYNC_WINDOW", "") or 24)
    results, outcome = check_and_report(conn, timedelta(hours=hours), settings, webhook=settings.webhook)
    lines = [f"alert {r.rule}: {r.value:.3g} > {r.threshold:g} ({r.detail})" for r in results if r.firing]
    if outcome.startswith("failed"):
        print(f"mre sync: alert webhook {outcome}", file=sys.stderr)
    return lines
