"""``mre follow SLUG… [--practice] [--since DATE]``, ``mre unfollow SLUG…``, ``mre following``.

Followed tracks are what ``mre sync`` keeps current; they live in PostgreSQL with when each was
last synced and how it went. Unfollowing keeps the track's crawled data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    f = sub.add_parser("follow", help="follow tracks: `mre sync` keeps them current", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    f.add_argument("slugs", nargs="+", metavar="SLUG", help="track slug, as in https://SLUG.liverc.com/")
    f.add_argument("--practice", action="store_true", help="also ingest the track's practice days")
    f.add_argument("--since", type=_date, help="ignore events before this date (YYYY-MM-DD)")
    f.set_defaults(func=run_follow)
    u = sub.add_parser("unfollow", help="stop following tracks (their data stays)")
    u.add_argument("slugs", nargs="+", metavar="SLUG")
    u.set_defaults(func=run_unfollow)
    ls = sub.add_parser("following", help="list followed tracks with their last sync")
    ls.add_argument("--json", action="store_true", help="print the list as JSON")
    ls.set_defaults(func=run_following)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


def _slugs(slugs: list[str]) -> list[str]:
    from mre_crawler.cli import UsageError
    from mre_crawler.urls import BadURL, check_slug

    try:
        return [check_slug(s) for s in slugs]
    except BadURL as exc:
        raise UsageError(str(exc)) from None


def _connect(command: str):  # noqa: ANN202
    from mre_crawler.commands.crawl import prepare_database
    from mre_crawler.db import connect

    settings: dict = {}
    prepare_database(settings)
    return connect(settings["MRE_DATABASE_URL"], autocommit=True)


def _guarded(command: str, body) -> int:  # noqa: ANN001
    from mre_crawler.db import DatabaseUnavailable

    try:
        with _connect(command) as conn:
            return body(conn)
    except DatabaseUnavailable as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return 1


def run_follow(args: argparse.Namespace) -> int:
    from mre_crawler.following import follow

    slugs = _slugs(args.slugs)

    def body(conn) -> int:  # noqa: ANN001
        for slug in slugs:
            new = follow(conn, slug, practice=args.practice, since=args.since)
            extra = (" with practice days" if args.practice else "") + (f" since {args.since}" if args.since else "")
            print(f"{'following' if new else 'still following'} {slug}{extra}")
        print("`mre sync` now keeps them current; `mre schedule` prints a cron line or systemd timer for it")
        return 0

    return _guarded("mre follow", body)


def run_unfollow(args: argparse.Namespace) -> int:
    from mre_crawler.following import unfollow

    slugs = _slugs(args.slugs)

    def body(conn) -> int:  # noqa: ANN001
        missing = [s for s in slugs if not unfollow(conn, s)]
        for slug in slugs:
            if slug not in missing:
                print(f"no longer following {slug} (its data stays)")
        for slug in missing:
            print(f"mre unfollow: {slug} was not followed", file=sys.stderr)
        return 1 if missing else 0

    return _guarded("mre unfollow", body)


def run_following(args: argparse.Namespace) -> int:
    from mre_crawler.following import following

    def body(conn) -> int:  # noqa: ANN001
        rows = following(conn)
        if args.json:
            print(json.dumps([r.record() for r in rows], default=str, indent=1))
            return 0
        if not rows:
            print("no followed tracks: `mre follow SLUG` adds one")
            return 0
        width = max(len(r.slug) for r in rows)
        print(f"{'track':<{width}}  practice  since       last sync         status")
        for r in rows:
            last = f"{r.last_sync_at:%Y-%m-%d %H:%M}" if r.last_sync_at else "never"
            print(f"{r.slug:<{width}}  {'yes' if r.practice else 'no':<8}  {str(r.since or '-'):<10}  "
                  f"{last:<16}  {r.last_sync_status or '-'}" + (f": {r.last_sync_message}" if r.last_sync_message else ""))
        return 0

    return _guarded("mre following", body)
