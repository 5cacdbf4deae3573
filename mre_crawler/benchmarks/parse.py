"""``mre bench parse``: parser speed per page type, on the real LiveRC pages and on generated ones.

For every page type it prints pages/s and MB/s of the full parse (tree build, checks, every row,
every lap). For race pages it also prints the ratio of the full parse to building the lxml tree
alone (``lxml.html.document_fromstring``), the yardstick for "the parser adds little on top of
the HTML parser": the target is 2.5x or less for race pages and 4x or less for every other page
type (issue 13).

Pages with embedded lap data (race ``racerLaps``, practice ``lapsObj``, the practice day's chart
data) are also parsed in the loose form (:func:`mre_crawler.benchmarks.loose_js.loosen_page`:
unquoted keys, single quotes, line breaks, trailing commas, comments, rewritten at run time), with
the ratio of that parse to the compact (served) form's; the target is 2x or less, and the loose
form must give the same items (a mismatch is shown instead of a time).

Real pages come from ``$MRE_LIVERC_DIR`` or ``<checkout>/../shared/liverc``; generated pages
from :func:`mre_crawler.samplesite.generate` into a temporary folder. Either source is skipped,
with a line saying so, when it is not there. Timings are the best of ``--repeat`` rounds, each
round parsing every page of a type repeatedly for about ``--seconds``.
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import lxml.html

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Page:
    source: str  # "real" | "generated"
    page_type: str
    url: str
    body: bytes


@dataclass
class Row:
    source: str
    page_type: str
    pages: int
    bytes: int
    parse_s: float  # seconds per page, best round
    tree_s: float  # seconds per page for lxml.html.document_fromstring alone
    problems: int
    error: str | None = None
    loose_s: float | None = None  # seconds per page for the same pages in the loose JS form
    loose_error: str | None = None


LOOSE_FORM_TYPES = ("race_result", "practice_session", "practice_day_overview")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "parse",
        help="parser speed per page type (pages/s, MB/s, race parse vs lxml tree build)",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    p.add_argument("--repeat", type=int, default=3, help="rounds per page type; the best is shown (default 3)")
    p.add_argument("--seconds", type=float, default=0.5, help="about how long one round runs (default 0.5)")
    p.add_argument("--liverc-dir", type=Path, help="folder of real pages with MANIFEST.tsv (default $MRE_LIVERC_DIR or ../shared/liverc)")
    p.add_argument("--no-generated", action="store_true", help="skip the generated sample-site pages")
    p.add_argument("--tracks", type=int, default=1, help="generated tracks (default 1)")
    p.add_argument("--events", type=int, default=2, help="generated events per track (default 2)")
    p.set_defaults(func=run)


def real_pages(folder: Path) -> list[Page]:
    pages: list[Page] = []
    with open(folder / "MANIFEST.tsv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            pages.append(Page("real", row["page_type"], row["url"], (folder / row["file"]).read_bytes()))
    return pages


def generated_pages(out_dir: Path, tracks: int, events: int) -> list[Page]:
    from mre_crawler.samplesite import generate

    generate(out_dir, tracks=tracks, events=events, seed=7, practice_days=2)
    pages: list[Page] = []
    with open(out_dir / "manifest.tsv", newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if len(row) < 3 or row[0] == "file":
                continue
            pages.append(Page("generated", row[2], row[1], (out_dir / row[0]).read_bytes()))
    return pages


def _best_per_page(works: list[Callable[[], object]], count: int, seconds: float, repeat: int) -> list[float]:
    """Seconds per page of each of ``works`` (each runs all pages once): the best of ``repeat``
    rounds, each running one work for ~``seconds``. The works' rounds alternate, so a change in the
    machine's load during the run reaches all of them alike and their ratio stays fair."""
    loops = []
    for work in works:
        start = time.perf_counter()
        work()
        once = max(time.perf_counter() - start, 1e-6)
        loops.append(max(1, int(seconds / once)))
    best = [float("inf")] * len(works)
    for _ in range(max(1, repeat)):
        for i, work in enumerate(works):
            start = time.perf_counter()
            for _ in range(loops[i]):
                work()
            best[i] = min(best[i], (time.perf_counter() - start) / loops[i])
    return [b / count for b in best]


def measure(source: str, page_type: str, pages: list[Page], seconds: float, repeat: int) -> Row:
    from mre_crawler.errors import PageError
    from mre_crawler.parsers import parser_for

    from mre_crawler.parsers.ids import ids_from_url

    parse = parser_for(page_type)
    # The ids a crawl would carry in meta: the URL's, and stand-ins where the saved page's URL has
    # none (the entry list and points pages in the corpus have id=UNKNOWN).
    metas = [{"track_slug": "bench", "event_id": 1, "race_id": 1, "points_id": 1, "session_id": 1, **ids_from_url(p.url)} for p in pages]
    size = sum(len(p.body) for p in pages)
    try:
        problems = sum(len(parse(p.body, p.url, m).problems) for p, m in zip(pages, metas))
    except PageError as exc:
        return Row(source, page_type, len(pages), size, 0.0, 0.0, 0, error=str(exc)[:80])

    def parse_all() -> None:
        for p, m in zip(pages, metas):
            parse(p.body, p.url, m)

    def trees_only() -> None:
        for p in pages:
            lxml.html.document_fromstring(p.body)

    loose_error, parse_loose = _loose_work(parse, pages, metas) if page_type in LOOSE_FORM_TYPES else (None, None)
    works = [parse_all, trees_only] + ([parse_loose] if parse_loose else [])
    parse_s, tree_s, *loose_s = _best_per_page(works, len(pages), seconds, repeat)
    row = Row(source, page_type, len(pages), size, parse_s, tree_s, problems)
    row.loose_error = loose_error
    if loose_s:
        row.loose_s = loose_s[0]
    return row


def _loose_work(parse: Callable, pages: list[Page], metas: list[dict]) -> tuple[str | None, Callable[[], None] | None]:
    """(why the loose form cannot be timed, or None; the work parsing every page in the loose form)."""
    from mre_crawler.benchmarks.loose_js import loosen_page

    loose = [loosen_page(p.body) for p in pages]
    for p, body, m in zip(pages, loose, metas):
        if parse(body, p.url, m).items != parse(p.body, p.url, m).items:
            return f"loose form gives other items: {p.url}"[:80], None

    def parse_loose() -> None:
        for p, body, m in zip(pages, loose, metas):
            parse(body, p.url, m)

    return None, parse_loose


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from mre_crawler.cli import UsageError
    from mre_crawler.urls import PAGE_TYPES

    if args.repeat < 1 or args.seconds <= 0:
        raise UsageError("--repeat must be at least 1 and --seconds above 0")
    # The table is ~145 columns wide: never narrower, or rich would cut figures down to "1,…".
    console = Console(width=max(Console().width, 150))
    groups: dict[tuple[str, str], list[Page]] = defaultdict(list)

    folder = args.liverc_dir or Path(os.environ.get("MRE_LIVERC_DIR", ROOT.parent / "shared" / "liverc"))
    if (folder / "MANIFEST.tsv").is_file():
        for page in real_pages(folder):
            groups[("real", page.page_type)].append(page)
    else:
        console.print(f"real LiveRC pages skipped: no MANIFEST.tsv in {folder} (set MRE_LIVERC_DIR)")

    with tempfile.TemporaryDirectory(prefix="mre-bench-parse-") as tmp:
        if args.no_generated:
            console.print("generated pages skipped (--no-generated)")
        else:
            try:
                for page in generated_pages(Path(tmp) / "site", args.tracks, args.events):
                    groups[("generated", page.page_type)].append(page)
            except ImportError as exc:
                console.print(f"generated pages skipped: the sample-site generator is not importable ({exc})")

        rows: list[Row] = []
        for (source, page_type), pages in sorted(groups.items(), key=lambda kv: (kv[0][0] != "real", PAGE_TYPES.index(kv[0][1]) if kv[0][1] in PAGE_TYPES else 99)):
            if page_type not in PAGE_TYPES:
                continue
            try:
                rows.append(measure(source, page_type, pages, args.seconds, args.repeat))
            except ImportError as exc:
                rows.append(Row(source, page_type, len(pages), sum(len(p.body) for p in pages), 0.0, 0.0, 0, error=f"no parser: {exc}"))

    table = Table(
        title="mre bench parse (one core, best of --repeat rounds)",
        caption="parse/tree = full parse time / lxml.html.document_fromstring time; race_result target <= 2.5x, other types <= 4x. "
        "loose ms = the same pages with their lap data in loose JS (unquoted keys, line breaks, comments); "
        "loose/compact target <= 2x",
    )
    for column in ("source", "page type", "pages", "KB/page", "ms/page", "pages/s", "MB/s", "tree ms", "parse/tree", "loose ms", "loose/compact", "problems"):
        table.add_column(column, justify="left" if column in ("source", "page type") else "right", no_wrap=True)
    for row in rows:
        if row.error:
            table.add_row(row.source, row.page_type, str(row.pages), f"{row.bytes / row.pages / 1024:.0f}", "-", "-", "-", "-", "-", "-", "-", row.error)
            continue
        ratio = row.parse_s / row.tree_s if row.tree_s else float("nan")
        table.add_row(
            row.source,
            row.page_type,
            str(row.pages),
            f"{row.bytes / row.pages / 1024:.0f}",
            f"{row.parse_s * 1e3:.2f}",
            f"{1 / row.parse_s:,.0f}",
            f"{row.bytes / row.pages / row.parse_s / 1e6:.1f}",
            f"{row.tree_s * 1e3:.2f}",
            f"{ratio:.1f}x",
            "-" if row.loose_s is None else f"{row.loose_s * 1e3:.2f}",
            row.loose_error or ("-" if row.loose_s is None else f"{row.loose_s / row.parse_s:.2f}x"),
            str(row.problems),
        )
    console.print(table)
    return 0
