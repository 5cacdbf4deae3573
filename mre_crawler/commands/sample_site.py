"""``mre sample-site OUT_DIR --tracks N --events M --seed S [--formats every]``: write a LiveRC-shaped sample site."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def _positive(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text}")
    return value


def _range(text: str) -> tuple[int, int]:
    lo, _, hi = text.partition("-")
    low, high = int(lo), int(hi or lo)
    if low < 1 or high < low:
        raise argparse.ArgumentTypeError(f"not a range like 2-4: {text}")
    return low, high


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sample-site",
        help="write a LiveRC-shaped sample site with known truth (tests, demo, benchmarks)",
        description="Generate LiveRC-shaped pages (catalogue, dashboards, events lists, events, race results, "
        "entry lists, qual points, practice months/days/sessions) for N tracks, with manifest.tsv "
        "(file, url, page_type) and truth.json (session kinds, bump-ups, DST days, counts). "
        "The same seed writes the same bytes.",
    )
    p.add_argument("out_dir", type=Path, help="output folder (must be empty or a previous sample site)")
    p.add_argument("--tracks", type=_positive, default=2, help="number of tracks (default 2)")
    p.add_argument("--events", type=_positive, default=3, help="events PER TRACK (default 3)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--practice-days", type=_positive, default=3, help="practice days per track (default 3)")
    p.add_argument("--practice-months", type=_positive, default=2,
                   help="spread the practice days over this many recent months (default 2)")
    p.add_argument("--classes", type=_range, default=(1, 3), metavar="LO-HI",
                   help="classes per event, e.g. 2-4 (default 1-3)")
    p.add_argument("--drivers", type=_range, default=(6, 24), metavar="LO-HI",
                   help="drivers per class, e.g. 8-30 (default 6-24)")
    p.add_argument("--formats", choices=("classic", "every"), default="classic",
                   help="mains formats: classic (lettered ladders, triple A-mains, LCQs, lone A-Mains; the default) "
                   "or every (also bracket finals 1/16 to 1/1 in every label order with odd/even halves and "
                   "lettered semis, LCQs under their own class behind a placeholder race, practice sessions "
                   "named after mains, mixed electric and nitro classes)")
    p.add_argument("--force", action="store_true", help="replace a non-empty OUT_DIR that is not a sample site")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mre_crawler.cli import UsageError
    from mre_crawler.samplesite import NotASampleSite, SiteParams, write_site

    if args.tracks < 1:
        raise UsageError("--tracks must be at least 1")
    if args.out_dir.exists() and not args.out_dir.is_dir():
        raise UsageError(f"{args.out_dir} exists and is not a folder")
    params = SiteParams(args.tracks, args.events, args.seed, args.practice_days, args.practice_months,
                        args.classes, args.drivers, formats=args.formats)
    started = time.perf_counter()
    try:
        summary = write_site(args.out_dir, params, force=args.force)
    except NotASampleSite as exc:
        raise UsageError(f"{exc}; pass --force to replace it") from None
    elapsed = time.perf_counter() - started
    print(f"sample site written to {summary.out_dir} in {elapsed:.1f}s ({summary.bytes / 1e6:.1f} MB)")
    print(f"{'page type':<24}{'pages':>8}")
    for page_type, count in sorted(summary.pages.items()):
        print(f"{page_type:<24}{count:>8}")
    print(f"{'total':<24}{sum(summary.pages.values()):>8}")
    print(f"races {summary.races}, race laps {summary.race_laps}, practice laps {summary.practice_laps}, "
          f"bump-ups {summary.bumpups}")
    return 0
