"""``mre parse PATH [--type T] [--url URL]``: print a saved page's items as JSON lines."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mre_crawler.errors import PageError
from mre_crawler.jsonout import dumps, flatten, item_to_dict
from mre_crawler.urls import PAGE_TYPES, BadURL, read_url


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "parse",
        help="print a saved LiveRC page's items as JSON lines",
        description="Parse a saved LiveRC page and print its items as JSON lines (one record per "
        "item and per row: races, results, laps, entries, sessions ...). Problems go to stderr.",
    )
    p.add_argument("path", type=Path, help="the saved HTML file ('-' reads standard input)")
    p.add_argument("--type", dest="page_type", choices=PAGE_TYPES, help="page type (detected when absent)")
    p.add_argument(
        "--url",
        help="the LiveRC URL the page was served at; it carries the track slug and ids the page "
        "does not show (e.g. https://canberraoffroad.liverc.com/results/?p=view_race_result&id=6304829)",
    )
    p.add_argument("--nested", action="store_true", help="one JSON object per page item, rows nested inside")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mre_crawler.cli import UsageError
    from mre_crawler.parsers import parse_page

    if str(args.path) == "-":
        body = sys.stdin.buffer.read()
    else:
        try:
            body = args.path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {args.path}: {exc.strerror}") from None
    url = args.url or f"file://{Path(args.path).resolve()}"
    meta: dict = {"inspect": True}  # nothing is stored: a missing id is reported, not fatal
    if args.url:
        try:
            page = read_url(args.url)
        except BadURL as exc:
            raise UsageError(str(exc)) from None
        meta["track_slug"] = page.slug
        if page.id is not None:
            from mre_crawler.parsers.ids import _URL_ID_KEY  # the one table of which id a URL's id= is

            meta[_URL_ID_KEY.get(page.page_type, "event_id")] = page.id
    try:
        result = parse_page(body, url, args.page_type, meta)
    except PageError as exc:
        print(f"mre parse: {exc}", file=sys.stderr)
        return 1
    out = sys.stdout
    for item in result.items:
        if args.nested:
            out.write(dumps(item_to_dict(item)) + "\n")
        else:
            for record in flatten(item):
                out.write(dumps(record) + "\n")
    for problem in result.problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 0
