"""Practice days: discover, ingest, keep in step with LiveRC (``mre practice ...``).

Modules, one job each:

- :mod:`.ranges`: the date-range rules (explicit, at most 3 months) and ``--older-than`` ages.
- :mod:`.identity`: practice driver identity (normalized name; transponders are devices).
- :mod:`.timing`: local wall clock -> UTC for sessions and laps, with the DST rule.
- :mod:`.statistics`: a day's statistics from its sessions, next to LiveRC's panel.
- :mod:`.ingest`: the per-day writer (one transaction, advisory lock per source event id).
- :mod:`.discovery`, :mod:`.drift`, :mod:`.retry`, :mod:`.archive`: the other commands' SQL.
- :mod:`.pipeline`: the Scrapy pipeline that hands the practice spider's items to the writers.
- :mod:`.runner`: runs the ``practice`` spider with the practice politeness defaults and stores
  the run's metrics.
"""

PRACTICE_SOURCE = "practice"
SESSION_TYPE = "practiceday"


def source_event_id(track_slug: str, day) -> str:
    """``{track-slug}-practice-{YYYY-MM-DD}``: the practice day's event key (ARCHITECTURE.md)."""
    return f"{track_slug.strip().lower()}-practice-{day.isoformat()}"
