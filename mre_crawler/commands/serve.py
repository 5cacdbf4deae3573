"""``mre serve DIR [--port P]``: serve a folder of pages by LiveRC URL on 127.0.0.1."""

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
        "Crawl it with --site http://127.0.0.1:PORT. Unknown URLs answer 404.",
    )
    p.add_argument("directory", type=Path)
    p.add_argument("--port", type=int, default=8765, help="port (0 picks a free one; default 8765)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mre_crawler.cli import UsageError
    from mre_crawler.serve import SiteServer

    if not args.directory.is_dir():
        raise UsageError(f"not a folder: {args.directory}")
    try:
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
