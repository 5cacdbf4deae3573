"""``mre serve DIR [--port P] [--faults RULES.json [--seed N]]``: serve a folder of pages by LiveRC URL on 127.0.0.1."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="serve a sample site (or any folder with a manifest.tsv) on 127.0.0.1 for --site",
        description="Serve a folder of LiveRC pages (a generated sample site, ../shared/liverc, or your "
        "own saved pages with a manifest.tsv: file, url, page_type) on 127.0.0.1. LiveRC URL "
        "https://SLUG.liverc.com/PATH?QUERY is served at /SLUG/PATH?QUERY (the catalogue at /live/). "
        "Crawl it with --site http://127.0.0.1:PORT. Unknown URLs answer 404. With --faults, answers break "
        "on purpose by rule (see mre_crawler/faultserver.py), each fault printed as it happens.",
    )
    p.add_argument("directory", type=Path)
    p.add_argument("--port", type=int, default=8765, help="port (0 picks a free one; default 8765)")
    p.add_argument(
        "--faults", type=Path, metavar="RULES.json",
        help='break answers by rule: {"seed": N, "rules": [{"action": "status"|"cut"|"short"|"garbage"|"empty"|'
        '"challenge"|"slow"|"redirect"|"drop", "page_type": "race_result", "url": REGEX, "share": 0.3, '
        '"first": 2, "for_seconds": S, "status": 503, "retry_after": 5, "at": 0.5|"random"|"results"|"laps", '
        '"seconds": S, "to": "https"|"site"|"slash"|"other-track"|"other-id"|"other-type"|"offsite"|URL}, ...]}',
    )
    p.add_argument("--seed", type=int, help="seed for --faults (which pages a share picks, cut points, garbage); "
                   "overrides the file's")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mre_crawler.cli import UsageError
    from mre_crawler.serve import SiteServer

    if not args.directory.is_dir():
        raise UsageError(f"not a folder: {args.directory}")
    if args.seed is not None and args.faults is None:
        raise UsageError("--seed goes with --faults")
    try:
        if args.faults is not None:
            server = _fault_server(args)
        else:
            server = SiteServer(args.directory, port=args.port)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from None
    print(f"serving {len(server.routes)} pages from {args.directory} at {server.site}", flush=True)
    print(f"crawl it with: --site {server.site}   (or: export MRE_SITE={server.site})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _fault_server(args: argparse.Namespace):
    from mre_crawler.cli import UsageError
    from mre_crawler.faultserver import FaultServer, load_fault_spec

    try:
        spec = load_fault_spec(args.faults, args.seed)
    except FileNotFoundError:
        raise UsageError(f"no such rules file: {args.faults}") from None
    except ValueError as exc:
        raise UsageError(f"{args.faults}: {exc}") from None
    server = FaultServer(args.directory, rules=spec.rules, seed=spec.seed, port=args.port)
    print(f"faults (seed {spec.seed}):", flush=True)
    for i, rule in enumerate(spec.rules):
        print(f"  rule {i}: {rule.describe()}  ({len(server.chosen(i))} pages of the folder match)", flush=True)

    def report(n: int, entry) -> None:
        if entry.fault:
            print(f"{n:6d} {entry.url or entry.path}  rule {entry.rule}: {entry.fault}", flush=True)

    server.on_request(report)
    return server
