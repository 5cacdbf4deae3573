"""Write a sample site to disk (pages, ``manifest.tsv``, ``truth.json``) and read its truth back."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mre_crawler.samplesite.site import SiteParams, Truth, iter_site, iter_track, track_info
from mre_crawler.urls import read_url

MANIFEST = "manifest.tsv"
TRUTH = "truth.json"
GENERATOR = "mre sample-site"


class NotASampleSite(Exception):
    """The output folder holds files that a previous sample site did not write."""


@dataclass
class SiteSummary:
    out_dir: Path
    pages: Counter = field(default_factory=Counter)
    races: int = 0
    race_laps: int = 0
    practice_laps: int = 0
    bumpups: int = 0
    bytes: int = 0


def is_sample_site(out_dir: Path) -> bool:
    try:
        data = json.loads((out_dir / TRUTH).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("generator") == GENERATOR


def _prepare(out_dir: Path, force: bool) -> None:
    if out_dir.exists() and any(out_dir.iterdir()):
        if is_sample_site(out_dir) or force:
            shutil.rmtree(out_dir)
        else:
            raise NotASampleSite(f"{out_dir} is not empty and is not a previous sample site")
    out_dir.mkdir(parents=True, exist_ok=True)


def generate(
    out_dir: Path,
    *,
    tracks: int,
    events: int,
    seed: int,
    practice_days: int = 3,
    practice_months: int = 2,
    classes_per_event: tuple[int, int] = (1, 3),
    drivers_per_class: tuple[int, int] = (6, 24),
    force: bool = False,
) -> Path:
    """Write the site under ``out_dir``; ``events`` is per track. Returns ``out_dir``."""
    return write_site(out_dir, SiteParams(tracks, events, seed, practice_days, practice_months,
                                          tuple(classes_per_event), tuple(drivers_per_class)), force=force).out_dir


def write_site(out_dir: Path, params: SiteParams, *, force: bool = False) -> SiteSummary:
    out_dir = Path(out_dir)
    _prepare(out_dir, force)
    truth = Truth()
    summary = SiteSummary(out_dir)
    made_dirs: set[Path] = set()
    with open(out_dir / MANIFEST, "w", encoding="utf-8", newline="\n") as manifest:
        manifest.write("file\turl\tpage_type\n")
        for page in iter_site(params, truth):
            path = out_dir / page.file
            if path.parent not in made_dirs:
                path.parent.mkdir(parents=True, exist_ok=True)
                made_dirs.add(path.parent)
            data = page.html().encode("utf-8")
            path.write_bytes(data)
            summary.bytes += len(data)
            manifest.write(f"{page.file}\t{page.url}\t{page.page_type}\n")
            summary.pages[page.page_type] += 1
            if page.page_type == "race_result":
                summary.race_laps += sum(r.laps or 0 for r in page.items[0].results)
            elif page.page_type == "practice_session":
                summary.practice_laps += page.items[0].lap_count or 0
    summary.races = len(truth.races)
    summary.bumpups = len(truth.bumpups)
    document = {
        "generator": GENERATOR,
        "params": params.as_json(),
        "events_per_track": params.events,
        "pages": dict(sorted(summary.pages.items())),
        "totals": {"races": summary.races, "race_laps": summary.race_laps,
                   "practice_laps": summary.practice_laps, "bumpups": summary.bumpups},
        "tracks": truth.tracks,
        "events": truth.events,
        "races": truth.races,
        "bumpups": truth.bumpups,
        "practice": truth.practice,
    }
    (out_dir / TRUTH).write_text(json.dumps(document, indent=1, sort_keys=True), encoding="utf-8")
    return summary


def load_truth(out_dir: Path) -> dict[str, Any]:
    return json.loads((Path(out_dir) / TRUTH).read_text(encoding="utf-8"))


def read_manifest(out_dir: Path) -> list[tuple[str, str, str]]:
    rows = (Path(out_dir) / MANIFEST).read_text(encoding="utf-8").splitlines()[1:]
    return [tuple(r.split("\t")) for r in rows if r]  # type: ignore[misc]


_TRACK_CACHE: dict[tuple[str, int], dict[str, tuple[str, dict, list]]] = {}


def _track_pages(params: SiteParams, index: int) -> dict[str, tuple[str, dict, list]]:
    key = (json.dumps(params.as_json(), sort_keys=True), index)
    if key not in _TRACK_CACHE:
        if len(_TRACK_CACHE) > 4:
            _TRACK_CACHE.clear()
        _TRACK_CACHE[key] = {p.url: (p.page_type, p.meta, p.items) for p in iter_track(params, index)}
    return _TRACK_CACHE[key]


def expected_page(out_dir: Path | dict, url: str) -> tuple[str, dict, list]:
    """(page type, meta, items) the generator made for ``url``: regenerated from the seed."""
    truth = out_dir if isinstance(out_dir, dict) else load_truth(Path(out_dir))
    params = SiteParams.from_json(truth["params"])
    page = read_url(url)
    if page.page_type == "track_catalogue":
        from mre_crawler.samplesite.site import catalogue_page

        latest = {t["index"]: t["latest_event_name"] for t in truth["tracks"]}
        cat = catalogue_page(params, latest)
        return cat.page_type, cat.meta, cat.items
    index = next(t["index"] for t in truth["tracks"] if t["slug"] == page.slug)
    pages = _track_pages(params, index)
    if url not in pages:
        raise KeyError(f"the sample site has no page {url}")
    return pages[url]


def expected_items(out_dir: Path | dict, url: str) -> list[Any]:
    """The items a parser must read from the page at ``url`` (``parse(render(items)) == items``)."""
    return expected_page(out_dir, url)[2]


def site_items(
    *, tracks: int, events: int, seed: int, practice_days: int = 3, practice_months: int = 2,
    classes_per_event: tuple[int, int] = (1, 3), drivers_per_class: tuple[int, int] = (6, 24),
) -> Iterator[tuple[str, str, dict, list]]:
    """(url, page type, meta, items) for every page, generated in memory without rendering HTML:
    for benchmarks that need millions of laps in the warehouse. Streaming, bounded memory."""
    params = SiteParams(tracks, events, seed, practice_days, practice_months,
                        tuple(classes_per_event), tuple(drivers_per_class))
    for page in iter_site(params):
        yield page.url, page.page_type, page.meta, page.items


__all__ = ["generate", "write_site", "load_truth", "expected_items", "expected_page", "site_items",
           "read_manifest", "is_sample_site", "NotASampleSite", "SiteSummary", "track_info"]
