"""The alert rules of ``mre health`` (and the end of ``mre sync``), evaluated over stored runs.

Each rule reads ``mre.run_metrics`` rows (one per crawl, practice run, sync, warehouse build) that
started within a window, or the current state of ``mre.followed_tracks`` / ``mre.quarantine``, and
compares one value with its ``MRE_ALERT_*`` threshold. A rule with nothing to measure (no runs of
its kind in the window) passes, with value ``None``.

:func:`evaluate` is the one entry point: ``evaluate(conn, since) -> list[RuleResult]``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg

from mre_crawler.config import AlertSettings

OK = "ok"
FIRING = "firing"


@dataclass(frozen=True)
class RuleResult:
    rule: str  # stable name: the Prometheus label and the webhook key
    description: str
    value: float | None  # None: nothing to measure in the window
    threshold: float
    setting: str  # the MRE_ALERT_* setting that holds the threshold
    detail: str = ""

    @property
    def firing(self) -> bool:
        return self.value is not None and self.value > self.threshold

    @property
    def state(self) -> str:
        return FIRING if self.firing else OK

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "state": self.state}


_SINCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "": 3600}


def parse_since(text: str) -> timedelta:
    """``24h``, ``90m``, ``7d``, ``2w``, ``3600s`` (a bare number is hours)."""
    m = _SINCE.match(text)
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"--since must be a duration such as 24h, 90m or 7d, not {text!r}")
    return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])


def _sums(conn: psycopg.Connection, kinds: tuple[str, ...] | None, keys: tuple[str, ...],
          start: datetime, end: datetime) -> tuple[int, list[float]]:
    """(number of runs, [sum of metrics->key for each key]) over runs of ``kinds`` in the window."""
    cols = ", ".join(f"coalesce(sum((metrics->>%s)::double precision), 0)" for _ in keys)
    where = "started_at >= %s and started_at <= %s"
    params: list[Any] = list(keys) + [start, end]
    if kinds is not None:
        where += " and kind = any(%s)"
        params.append(list(kinds))
    row = conn.execute(f"select count(*), {cols} from mre.run_metrics where {where}", params).fetchone()
    return int(row[0]), [float(v) for v in row[1:]]


def _share(part: float, whole: float) -> float | None:
    return None if whole <= 0 else part / whole


def evaluate(conn: psycopg.Connection, since: timedelta, *, now: datetime | None = None,
             settings: AlertSettings | None = None) -> list[RuleResult]:
    """Every rule over the runs that started in ``[now - since, now]``, in a fixed order."""
    s = settings or AlertSettings.from_settings()
    end = now or conn.execute("select now()").fetchone()[0]
    start = end - since
    out: list[RuleResult] = []

    runs, (requests, failed) = _sums(conn, ("practice-discover",), ("discovery_requests", "discovery_failed"), start, end)
    out.append(RuleResult(
        "practice_discovery_failures", "failed practice discovery requests (share)",
        _share(failed, requests), s.discovery_failure_share, "MRE_ALERT_DISCOVERY_FAILURE_SHARE",
        f"{failed:.0f} of {requests:.0f} requests in {runs} runs"))

    runs, (ok, failed) = _sums(conn, ("practice-ingest",), ("ingest_ok", "ingest_failed"), start, end)
    out.append(RuleResult(
        "practice_ingest_failures", "failed practice day ingestions (share)",
        _share(failed, ok + failed), s.ingest_failure_share, "MRE_ALERT_INGEST_FAILURE_SHARE",
        f"{failed:.0f} of {ok + failed:.0f} days in {runs} runs"))

    # Every request LiveRC sees goes through a crawl, and each crawl writes one "crawl" row; practice
    # runs and syncs also record the requests of the crawls they ran, so only "crawl" rows count here
    # (summing every kind counted a practice request two or three times).
    runs, (requests, r429, r503) = _sums(conn, ("crawl",), ("requests", "http_429", "http_503"), start, end)
    out.append(RuleResult(
        "rate_limited", "429/503 responses (share of requests)",
        _share(r429 + r503, requests), s.rate_limited_share, "MRE_ALERT_RATE_LIMITED_SHARE",
        f"{r429:.0f} x 429, {r503:.0f} x 503 of {requests:.0f} requests in {runs} runs"))

    checks, late_hours, late_sessions = conn.execute(
        "select count(*),"
        " max((metrics->>'drift_max_hours')::double precision)"
        "   filter (where (metrics->>'drift_sessions')::double precision > 0),"
        " coalesce(sum((metrics->>'drift_sessions')::double precision), 0)"
        " from mre.run_metrics where started_at >= %s and started_at <= %s"
        " and metrics ? 'drift_sessions'", (start, end)).fetchone()
    out.append(RuleResult(
        "practice_drift", "latest practice session found after its day was ingested (hours)",
        None if checks == 0 else float(late_hours or 0.0), s.drift_hours, "MRE_ALERT_DRIFT_HOURS",
        f"{late_sessions:.0f} sessions appeared after their day was ingested ({checks} runs)"))

    row = conn.execute(
        "select (metrics->>'low_confidence_session_types')::double precision,"
        " (metrics->>'session_types')::double precision from mre.run_metrics"
        " where kind = 'warehouse-build' and started_at >= %s and started_at <= %s"
        " and metrics ? 'low_confidence_session_types'"
        " order by started_at desc, metric_id desc limit 1", (start, end)).fetchone()
    low = None if row is None else _share(row[0] or 0, row[1] or 0)
    out.append(RuleResult(
        "low_confidence_session_types", "low-confidence session types (share, last warehouse build)",
        low, s.low_confidence_share, "MRE_ALERT_LOW_CONFIDENCE_SHARE",
        "no warehouse build in the window" if row is None else f"{row[0]:.0f} of {row[1] or 0:.0f} sessions"))

    stale = conn.execute(
        "select slug from mre.followed_tracks"
        " where coalesce(last_sync_ok_at, followed_at) < %s order by slug",
        (end - timedelta(hours=s.sync_stale_hours),)).fetchall()
    followed = conn.execute("select count(*) from mre.followed_tracks").fetchone()[0]
    out.append(RuleResult(
        "sync_stale", f"followed tracks without a successful sync for {s.sync_stale_hours:g} h",
        None if followed == 0 else float(len(stale)), 0, "MRE_ALERT_SYNC_STALE_HOURS",
        ("stale: " + ", ".join(r[0] for r in stale)) if stale else f"{followed} followed tracks"))

    open_now, open_then = conn.execute(
        "select count(*) filter (where resolved_at is null),"
        " count(*) filter (where first_seen < %s and (resolved_at is null or resolved_at >= %s))"
        " from mre.quarantine", (start, start)).fetchone()
    out.append(RuleResult(
        "quarantine_growing", "growth of open quarantine rows within the window",
        float(open_now - open_then), s.quarantine_growth, "MRE_ALERT_QUARANTINE_GROWTH",
        f"{open_then} open at the window's start, {open_now} now"))
    return out


def any_firing(results: list[RuleResult]) -> bool:
    return any(r.firing for r in results)


def format_table(results: list[RuleResult]) -> str:
    """One line per rule: state, name, value, threshold, detail."""
    lines = [f"{'state':<7} {'rule':<29} {'value':>9} {'threshold':>9}  detail"]
    for r in results:
        value = "-" if r.value is None else f"{r.value:.3g}"
        lines.append(f"{r.state.upper():<7} {r.rule:<29} {value:>9} {r.threshold:>9.3g}  {r.detail}")
    return "\n".join(lines)
