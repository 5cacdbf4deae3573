"""Sample-site fixtures: a small generated site (written once per test session) and a helper that
compares a parser's items with the generator's, naming the first differing field."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from mre_crawler.samplesite import SiteParams, write_site

# Enough events and drivers per class that every event shape shows up: ladders of up to 4 mains,
# triple A-mains, LCQs (some published as class "LCQ"), lone A-mains, DNS rows and retirements.
SAMPLE_SITE_PARAMS = SiteParams(tracks=3, events=4, seed=2024, practice_days=4, practice_months=2,
                                classes_per_event=(2, 4), drivers_per_class=(10, 28))


@dataclasses.dataclass(frozen=True)
class SampleSite:
    root: Path
    params: SiteParams


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> SampleSite:
    """A generated LiveRC-shaped site: pages, manifest.tsv and truth.json under a temp folder."""
    root = tmp_path_factory.mktemp("sample-site") / "site"
    write_site(root, SAMPLE_SITE_PARAMS)
    return SampleSite(root, SAMPLE_SITE_PARAMS)


def practice_site_as_of_today(tmp_path_factory: pytest.TempPathFactory, name: str, tracks: int,
                              events: int) -> Path:
    """A generated site with 4 practice days in one month whose "today" is the real today, so a
    sync's window (or any "recent days" rule) and a subprocess ``mre`` see its recent practice days."""
    out = tmp_path_factory.mktemp(name) / "site"
    return write_site(out, SiteParams(tracks=tracks, events=events, seed=11, practice_days=4, practice_months=1,
                                      reference_date=dt.date.today())).out_dir


def first_difference(parsed: Any, expected: Any, path: str = "") -> str | None:
    """Where two item trees first differ, as ``path: parsed=... expected=...``; None when equal."""
    if dataclasses.is_dataclass(parsed) and dataclasses.is_dataclass(expected) and type(parsed) is type(expected):
        for f in dataclasses.fields(parsed):
            found = first_difference(getattr(parsed, f.name), getattr(expected, f.name), f"{path}.{f.name}")
            if found:
                return found
        return None
    if isinstance(parsed, list) and isinstance(expected, list):
        if len(parsed) != len(expected):
            return f"{path}: {len(parsed)} parsed, {len(expected)} expected"
        for i, (a, b) in enumerate(zip(parsed, expected)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(parsed, dict) and isinstance(expected, dict):
        if list(parsed) != list(expected):
            return f"{path}: keys {list(parsed)!r} parsed, {list(expected)!r} expected"
        for k in parsed:
            found = first_difference(parsed[k], expected[k], f"{path}[{k!r}]")
            if found:
                return found
        return None
    if type(parsed) is not type(expected) or parsed != expected:
        return f"{path}: parsed={parsed!r} expected={expected!r}"
    return None
