"""Where alerts go: a Prometheus textfile and a webhook (issue 10).

* :func:`write_prometheus` writes the rule states and the window's run metrics in the
  node_exporter textfile-collector format with ``prometheus_client`` (which writes a temporary
  file and renames it, so the collector never reads half a file).
* :func:`notify_webhook` posts the rules as JSON when any rule's state differs from what the
  webhook was last told (``mre.alert_states``, migration 0075): one post per change of state, one
  attempt per run with a timeout. Delivery is at least once: each post is committed first to an
  outbox with an idempotency key (``mre.alert_notifications``, migration 0180), and one that a
  kill or a failure left unanswered is posted again, same key and body, by the next run (not a
  retry loop). A receiver that keeps the keys it has seen gets each change exactly once.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

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


def payload(results: list[RuleResult], changed: list[str], key: str | None = None) -> dict[str, Any]:
    body = {
        "source": f"MRE/{__version__}",
        "firing": [r.as_json() for r in results if r.firing],
        "changed": changed,
        "rules": [r.as_json() for r in results],
    }
    if key is not None:
        body["idempotency_key"] = key
    return body


def _post(url: str, body: bytes, key: str, timeout: float) -> str | None:
    """One attempt; None when the receiver answered 2xx, else why not."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "Idempotency-Key": key,
                                              "User-Agent": f"MRE/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return str(getattr(exc, "reason", None) or exc)
    return None


def _deliver(conn: psycopg.Connection, url: str, timeout: float, row: tuple) -> str | None:
    """Post one outbox row; on an answer, mark it sent and record its states in one transaction."""
    notification_id, key, body, states = row
    conn.execute("update mre.alert_notifications set attempts = attempts + 1, last_attempt_at = now()"
                 " where notification_id = %s", (notification_id,))
    error = _post(url, body.encode(), key, timeout)
    if error is not None:
        conn.execute("update mre.alert_notifications set last_error = %s where notification_id = %s",
                     (error, notification_id))
        logger.warning("alert webhook %s failed: %s (the next run tries again)", url, error)
        return error
    with conn.transaction():
        conn.execute("update mre.alert_notifications set sent_at = now(), last_error = null"
                     " where notification_id = %s", (notification_id,))
        for rule, (state, value, threshold) in json.loads(states).items():
            conn.execute(
                "insert into mre.alert_states (rule, notified_state, notified_at, value, threshold)"
                " values (%s, %s, now(), %s, %s) on conflict (rule) do update set"
                " notified_state = excluded.notified_state, notified_at = excluded.notified_at,"
                " value = excluded.value, threshold = excluded.threshold",
                (rule, state, value, threshold),
            )
    return None


_UNSENT = ("select notification_id, idempotency_key, payload::text, states::text from mre.alert_notifications"
           " where sent_at is null order by notification_id")


def notify_webhook(conn: psycopg.Connection, results: list[RuleResult], url: str,
                   timeout: float = 10.0) -> str:
    """Post to ``url`` when a rule's state changed since the last post; returns what happened:
    ``unchanged``, ``sent`` or ``failed: <why>``. ``conn`` must be in autocommit mode.

    At least once, in order (``mre.alert_notifications``, migration 0180): a notification is
    committed with its idempotency key before it is posted, and marked sent with the states it
    told after the receiver answered. One left unsent by a killed run or a failed post is posted
    again, same key and body, by the next run before anything new; one attempt per run, so a dead
    receiver costs one timeout per run, never a retry storm."""
    conn.execute("select pg_advisory_lock(%s)", (WEBHOOK_LOCK_KEY,))  # released on exit or when killed
    try:
        sent = 0
        for row in conn.execute(_UNSENT).fetchall():
            error = _deliver(conn, url, timeout, row)
            if error is not None:
                return f"failed: {error}"
            sent += 1
        told = dict(conn.execute("select rule, notified_state from mre.alert_states").fetchall())
        # A rule never told is 'ok' as far as the receiver knows: only firing ones are news.
        changed = [r.rule for r in results if r.state != told.get(r.rule, "ok")]
        if not changed:
            return "sent" if sent else "unchanged"
        key = uuid.uuid4().hex
        body = json.dumps(payload(results, changed, key))
        states = {r.rule: [r.state, r.value, r.threshold] for r in results if r.rule in changed}
        row = conn.execute(
            "insert into mre.alert_notifications (idempotency_key, payload, states) values (%s, %s::jsonb, %s)"
            " returning notification_id, idempotency_key, payload::text, states::text",
            (key, body, Jsonb(states))).fetchone()
        error = _deliver(conn, url, timeout, row)
        return f"failed: {error}" if error is not None else "sent"
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (WEBHOOK_LOCK_KEY,))
