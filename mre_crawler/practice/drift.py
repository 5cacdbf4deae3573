"""Drift between LiveRC and what is stored, as the commands report it.

``mre practice drift`` re-reads the day overviews of the stored days (in the range, or all of the
track's) and, per day: sessions LiveRC lists that are not stored (``new``; ingested with
``--refresh``), and stored sessions LiveRC no longer lists (``removed``: marked ``removed_at``,
never deleted; their laps too). The comparison itself runs in the day's transaction
(:meth:`mre_crawler.practice.ingest.PracticeDB.drift_day`).
"""

from __future__ import annotations

from collections.abc import Iterable

from mre_crawler.practice.ingest import DayOutcome


def format_outcomes(outcomes: Iterable[DayOutcome]) -> list[str]:
    lines = []
    for o in sorted(outcomes, key=lambda o: o.date):
        if o.status == "busy":
            st = o.state
            lines.append(f"{o.source_event_id}: being ingested by another process; stored now: "
                         + (f"{st.get('session_count')} sessions, {st.get('total_laps')} laps" if st.get("stored")
                            else "nothing yet"))
            continue
        parts = [f"{o.sessions} sessions"]
        if o.status == "stored":
            parts.append(f"{o.details_stored} session pages stored")
            if o.details_failed:
                parts.append(f"{len(o.details_failed)} logged for `mre practice retry`")
            parts.append(f"{o.rows_changed} rows changed")
        if o.new_sessions:
            parts.append(f"{len(o.new_sessions)} new" + (" (not stored: use --refresh)" if o.status == "drift" else ""))
        if o.removed_sessions:
            parts.append(f"{len(o.removed_sessions)} gone from LiveRC, marked removed: "
                         + ", ".join(map(str, o.removed_sessions[:10])))
        if o.skipped_sessions:
            parts.append(f"{len(o.skipped_sessions)} listed here but started on another day (kept there)")
        st = o.state
        if st.get("stored") and o.status == "stored":
            parts.append(f"stats: {st['total_laps']} laps, {st['unique_drivers']} drivers, {st['unique_classes']} classes"
                         + ("" if st.get("matches_panel") else " (differs from LiveRC's panel: see mre.practice_days)"))
        lines.append(f"{o.source_event_id}: " + "; ".join(parts))
    return lines
