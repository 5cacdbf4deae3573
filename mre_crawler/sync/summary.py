"""What a sync says at its end: a short "what is new" per track, and its exit code."""

from __future__ import annotations

from mre_crawler.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_UNHEALTHY
from mre_crawler.sync.runner import SyncResult

_NEW = (("events", "event"), ("races", "race"), ("practice_days", "practice day"),
        ("practice_sessions", "practice session"), ("bumpups", "bump-up"))


def exit_code(result: SyncResult) -> int:
    """1 when nothing could be synced (every track failed or was skipped, or the warehouse build
    failed); 3 when it ran but alerts fired; 0 otherwise (failed pages are listed and fetched again
    by the next sync: partial results are results)."""
    if result.tracks and not any(t.status in ("ok", "partial") for t in result.tracks):
        return EXIT_FAILED
    if any(t.database_lost for t in result.tracks) or result.warehouse == "failed":
        return EXIT_FAILED
    if result.alerts:
        return EXIT_UNHEALTHY
    return EXIT_OK


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def format_summary(result: SyncResult) -> str:
    lines = [f"mre sync #{result.sync_id}: {_plural(len(result.tracks), 'followed track')} "
             f"in {result.seconds:.1f} s"]
    if result.resumed:
        lines.append(f"  resumed after killed sync(s) {', '.join(f'#{i}' for i in result.resumed)}")
    if not result.tracks:
        lines.append("  nothing followed: add a track with `mre follow SLUG`")
    width = max((len(t.slug) for t in result.tracks), default=0)
    for t in result.tracks:
        if t.status == "skipped-budget":
            lines.append(f"  {t.slug:<{width}}  skipped: {t.message}")
            continue
        new = [_plural(t.new.get(k, 0), w) for k, w in _NEW if t.new.get(k)]
        what = "new: " + ", ".join(new) if new else "nothing new"
        lines.append(f"  {t.slug:<{width}}  {t.status:<7} {what}; {_plural(t.requests, 'request')}")
        if t.message:
            lines.append(f"  {'':<{width}}  {t.message}")
        for d in t.drift:
            lines.append(f"  {'':<{width}}  drift: {_plural(d['sessions'], 'practice session')} appeared on "
                         f"{d['day']}, {d['hours']:.1f} h after that day was ingested")
        for url, reason in t.failures[:10]:
            lines.append(f"  {'':<{width}}    {url}  {reason}")
        if len(t.failures) > 10:
            lines.append(f"  {'':<{width}}    … and {len(t.failures) - 10} more")
    lines.append(f"  warehouse     {result.warehouse}" + (f"; parquet: {result.parquet}" if result.parquet else ""))
    for alert in result.alerts:
        lines.append(f"  ALERT         {alert}")
    return "\n".join(lines)
