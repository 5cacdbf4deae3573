"""Shared fixtures. Real LiveRC pages are read from ../shared/liverc (never copied into the
project); tests that need them skip with a clear message where that folder is absent."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Fixture modules: every tests/fixtures_<topic>.py is loaded as a plugin (database, sample site ...).
pytest_plugins = sorted(f"tests.{p.stem}" for p in Path(__file__).parent.glob("fixtures_*.py"))
LIVERC_DIR = Path(os.environ.get("MRE_LIVERC_DIR", ROOT.parent / "shared" / "liverc"))


@dataclass(frozen=True)
class SavedPage:
    file: str
    url: str
    page_type: str
    path: Path

    @property
    def body(self) -> bytes:
        return self.path.read_bytes()


def _manifest() -> dict[str, SavedPage]:
    pages: dict[str, SavedPage] = {}
    with open(LIVERC_DIR / "MANIFEST.tsv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            pages[row["file"]] = SavedPage(row["file"], row["url"], row["page_type"], LIVERC_DIR / row["file"])
    return pages


@pytest.fixture(scope="session")
def liverc() -> dict[str, SavedPage]:
    """The real LiveRC pages by file name, with their URL and page type from MANIFEST.tsv."""
    if not (LIVERC_DIR / "MANIFEST.tsv").is_file():
        pytest.skip(f"real LiveRC pages not found at {LIVERC_DIR} (CI has ../shared/liverc beside the checkout)")
    return _manifest()
