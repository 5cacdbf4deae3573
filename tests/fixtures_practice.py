"""Practice fixtures: run ``mre practice`` jobs in-process against the session's test database.

- ``practice``: ``practice(mode, track, site=..., **options_and_settings)`` runs
  :func:`mre_crawler.practice.runner.run_practice` with a fresh MRE_HOME (so a fresh HTTP cache)
  per test, unless ``MRE_HOME`` is given; returns the :class:`PracticeRun`.
- ``practice_site``: a generated multi-month practice site (2 tracks, 5 practice days each over
  3 months, plus the two DST change days), written once per session; tests copy it to change it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def practice(pg_url: str, pg_conn, tmp_path: Path) -> Callable[..., Any]:
    from mre_crawler.practice.runner import run_practice

    pg_conn.execute("TRUNCATE mre_archive.events, mre_archive.practice_days, mre_archive.practice_day_classes, "
                    "mre_archive.practice_sessions, mre_archive.practice_laps")

    def run(mode: str, track: str, *, site: str | None = None, date_from: str | None = None,
            date_to: str | None = None, date: str | None = None, refresh: bool = False, **settings: Any):
        merged = {
            "MRE_DATABASE_URL": pg_url,
            "MRE_HOME": str(tmp_path / "mre-home"),
            "LOG_LEVEL": "WARNING",
            "MRE_CONTACT": "tests@example.invalid",
            "MRE_ROBOTSTXT_ENABLED": "0",
        }
        if site:
            merged["MRE_SITE"] = site
        merged.update({k: str(v) for k, v in settings.items()})
        d = lambda x: dt.date.fromisoformat(x) if x else None  # noqa: E731
        return run_practice(mode, track, merged, date_from=d(date_from), date_to=d(date_to), date=d(date),
                            refresh=refresh)

    return run


@pytest.fixture(scope="session")
def practice_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mre_crawler.samplesite import generate

    return generate(tmp_path_factory.mktemp("practice-site") / "site", tracks=2, events=0, seed=7,
                    practice_days=5, practice_months=3)
