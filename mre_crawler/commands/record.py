"""``mre record URL... --cassette FILE [--site URL]``: record pages into a betamax cassette."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "record",
        help="record LiveRC pages into a betamax cassette (replayed with --cassette)",
        description="Fetch LiveRC URLs with betamax recording every interaction into a JSON cassette. "
        "With --site the pages come from a replay server and the cassette still names the real "
        "LiveRC URLs. Cassettes of real LiveRC pages are third-party data: keep them out of the repository.",
    )
    p.add_argument("urls", nargs="+", help="LiveRC URLs")
    p.add_argument("--cassette", type=Path, required=True, help="cassette file to write (…/name.json)")
    p.add_argument("--site", default=os.environ.get("MRE_SITE") or None, help="replay server (env MRE_SITE)")
    p.add_argument("--contact", default=os.environ.get("MRE_CONTACT", ""), help="contact for the user agent")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mre_crawler.cassettes import record
    from mre_crawler.cli import UsageError
    from mre_crawler.urls import BadURL, read_url

    for url in args.urls:
        try:
            read_url(url)
        except BadURL as exc:
            raise UsageError(str(exc)) from None
    report = record(args.urls, args.cassette, site=args.site, contact=args.contact)
    for url, status in report.recorded:
        print(f"{status}  {url}")
    print(f"recorded {len(report.recorded)} interactions into {report.cassette}")
    return 0
