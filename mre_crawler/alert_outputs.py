"""Where alerts go: a Prometheus textfile and a webhook (issue 10).

* :func:`write_prometheus` writes the rule states and the window's run metrics in the
  node_exporter textfile-collector format with ``prometheus_client`` (which writes a temporary
  file and renames it, so the collector never reads half a file).
* :func:`notify_webhook` posts the rules as JSON when any rule's state differs from what the
  webhook was last told (``mre.alert_states``, migration 0075): one post per change of state, one
  attempt per run with a timeout. A failed post leaves the stored state as it was, so the next
  run (not a retry loop) tries again.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from mre_crawler import __version__
from mre_crawler.alerts import RuleResult

logger = logging.getLogger(__name__)

# Serialises notifiers (two `mre health` at once post one change once); any fixed 64-bit key.
WEBHOOK_LOCK_KEY = 0x4D5245_414C5254  # "MRE" "ALRT"


def write_prometheus(conn: psycopg.Connection, results: list[RuleResult], path: Path,
                     since: timedelta, now: datetime | None = None) -> None:
    from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

    reg = CollectorRegistry()
    firing = Gauge("mre_alert_firing", "1 when the alert rule fires", ["rule"], registry=reg)
    value = Gauge("mre_alert_value", "the rule's measured value (NaN: nothing to measure)", ["rule"], registry=reg)
    threshold = Gauge("mre_alert_threshold", "the rule's threshold (MRE_ALERT_*)", ["rule"], registry=reg)
    for r in results:
        firing.labels(r.rule).set(1 if r.firing else 0)
        value.labels(r.rule).set(float("nan") if r.value is None else r.value)
        threshold.labels(r.rule).set(r.threshold)

    end = now or conn.execute("select now()").fetchone()[0]
    runs = Gauge("mre_runs", "runs started in the window", ["kind"], registry=reg)
    failed = Gauge("mre_runs_failed", "runs started in the window that did not end ok", ["kind"], registry=reg)
    last = Gauge("mre_last_run_timestamp_seconds", "start of the latest run of a kind", ["kind"], registry=reg)
    total = Gauge("mre_run_metric", "a run metric summed over the window's runs", ["kind", "metric"], registry=reg)
    for kind, n, bad, latest in conn.execute(
        "select kind, count(*), count(*) filter (where ok is not true), extract(epoch from max(started_at))"
        " from mre.run_metrics where started_at >= %s and started_at <= %s group by kind order by kind",
        (end - since, end),
    ):
        runs.labels(kind).set(n)
        failed.labels(kind).set(bad)
        last.labels(kind).set(float(latest))
    for kind, key, sum_ in conn.execute(
        "select kind, e.key, sum(e.value::double precision) from mre.run_metrics,"
        " jsonb_each_text(metrics) e where started_at >= %s and started_at <= %s"
        " and jsonb_typeof(metrics->e.key) = 'number' group by kind, e.key order by kind, e.key",
        (end - since, end),
    ):
        total.labels(kind, key).set(float(sum_))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), reg)


def payload(results: list[RuleResult], changed: list[str]) -> dict[str, Any]:
    return {
        "source": f"MRE/{__version__}",
        "firing": [r.as_json() for r in results if r.firing],
        "changed": changed,
        "rules": [r.as_json() for r in results],
    }


def notify_webhook(conn: psycopg.Connection, results: list[RuleResult], url: str,
                   timeout: float = 10.0) -> str:
    """Post to ``url`` when a rule's state changed since the last post; returns what happened:
    ``unchanged``, ``sent`` or ``failed: <why>``. ``conn`` must not be inside a transaction."""
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (WEBHOOK_LOCK_KEY,))
        told = dict(conn.execute("select rule, notified_state from mre.alert_states").fetchall())
        # A rule never told is 'ok' as far as the receiver knows: only firing ones are news.
        changed = [r.rule for r in results if r.state != told.get(r.rule, "ok")]
        if not changed:
            return "unchanged"
        body = json.dumps(payload(results, changed)).encode()
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "User-Agent": f"MRE/{__version__}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            logger.warning("alert webhook %s failed: %s (the next run tries again)", url, reason)
            return f"failed: {reason}"
        for r in results:
            if r.rule in changed:
                conn.execute(
                    "insert into mre.alert_states (rule, notified_state, notified_at, value, threshold)"
                    " values (%s, %s, now(), %s, %s) on conflict (rule) do update set"
                    " notified_state = excluded.notified_state, notified_at = excluded.notified_at,"
                    " value = excluded.value, threshold = excluded.threshold",
                    (r.rule, r.state, r.value, r.threshold),
                )
        return "sent"
