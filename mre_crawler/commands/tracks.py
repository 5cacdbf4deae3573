"""``mre tracks list``, ``mre tracks set-timezone SLUG ZONE`` and ``mre tracks resolve-zones``.

A track's zone comes from its dashboard address (``mre_crawler.timezones``); ``set-timezone``
records a person's override, which no crawl overwrites, and re-times the track's races.
"""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tracks", help="list tracks; set a track's time zone")
    t_sub = p.add_subparsers(dest="tracks_command", metavar="ACTION")
    t_sub.required = True
    lst = t_sub.add_parser("list", help="slug, name, zone, zone source, events, races, races without a UTC time")
    lst.set_defaults(func=run_list)
    tz = t_sub.add_parser(
        "set-timezone",
        help="override a track's IANA time zone (never overwritten by a crawl)",
        description="Set a track's IANA time zone (e.g. Australia/Sydney) and recompute the UTC "
        "instants of its races. The override is never replaced by the zone a crawl derives "
        "from the dashboard address.",
    )
    tz.add_argument("slug", help="track slug, e.g. canberraoffroad")
    tz.add_argument("zone", help="IANA zone name, e.g. Australia/Sydney")
    tz.set_defaults(func=run_set_timezone)
    rz = t_sub.add_parser(
        "resolve-zones",
        help="resolve every track's time zone again from its stored address (after an upgrade)",
        description="Resolve each crawled track's time zone again from its stored dashboard address "
        "with this install's resolver and data, and recompute the UTC instants of the races of every "
        "track whose zone changed. Overrides (set-timezone) are left alone; a track the data cannot "
        "place now keeps its zone.",
    )
    rz.set_defaults(func=run_resolve_zones)


def run_set_timezone(args: argparse.Namespace) -> int:
    from mre_crawler.cli import UsageError
    from mre_crawler.db import DatabaseUnavailable, connect
    from mre_crawler.store import set_track_zone
    from mre_crawler.timezones import check_zone
    from mre_crawler.urls import BadURL, check_slug
    from warehouse.migrate import migrate

    try:
        slug = check_slug(args.slug)
    except BadURL as exc:
        raise UsageError(str(exc)) from None
    try:
        zone = check_zone(args.zone)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        with connect(autocommit=True) as conn:
            migrate(conn)
            n = set_track_zone(conn, slug, zone)
    except DatabaseUnavailable as exc:
        print(f"mre tracks: {exc}", file=sys.stderr)
        return 1
    print(f"{slug}: time zone {zone} (override); {n} race time{'s' if n != 1 else ''} recomputed")
    return 0


def run_resolve_zones(args: argparse.Namespace) -> int:
    from mre_crawler.db import DatabaseUnavailable, connect
    from mre_crawler.store import re_resolve_track_zones
    from warehouse.migrate import migrate

    try:
        with connect(autocommit=True) as conn:
            migrate(conn)
            changed = re_resolve_track_zones(conn)
    except DatabaseUnavailable as exc:
        print(f"mre tracks: {exc}", file=sys.stderr)
        return 1
    for slug, old, new, n in changed:
        print(f"{slug}: time zone {old or 'none'} -> {new}; {n} race time{'s' if n != 1 else ''} recomputed")
    print(f"{len(changed)} track{'s' if len(changed) != 1 else ''} changed")
    return 0


LIST_SQL = """
SELECT t.slug, t.name, t.time_zone, t.time_zone_source,
       (SELECT count(*) FROM mre.events e WHERE e.track_slug = t.slug) AS events,
       (SELECT count(*) FROM mre.races r WHERE r.track_slug = t.slug AND r.removed_at IS NULL) AS races,
       (SELECT count(*) FROM mre.races r WHERE r.track_slug = t.slug AND r.completed_local IS NOT NULL
                                           AND r.completed_utc IS NULL) AS races_without_utc,
       t.time_zone_note
FROM mre.tracks t ORDER BY t.slug
"""


def run_list(args: argparse.Namespace) -> int:
    from mre_crawler.db import DatabaseUnavailable, connect
    from warehouse.migrate import migrate

    try:
        with connect(autocommit=True) as conn:
            migrate(conn)
            rows = conn.execute(LIST_SQL).fetchall()
    except DatabaseUnavailable as exc:
        print(f"mre tracks: {exc}", file=sys.stderr)
        return 1
    header = ("slug", "name", "time zone", "source", "events", "races", "no UTC")
    table = [header] + [
        (slug, name or "", zone or "UNKNOWN", source or "", str(ev), str(ra), str(nu))
        for slug, name, zone, source, ev, ra, nu, _note in rows
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for r in table:
        print("  ".join(c.ljust(w) if i < 4 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    unknown = [(slug, note) for slug, _n, zone, _s, _e, _r, _u, note in rows if not zone]
    for slug, note in unknown:
        print(f"{slug}: time zone unknown ({note or 'no dashboard crawled yet'}); "
              f"set it with: mre tracks set-timezone {slug} ZONE", file=sys.stderr)
    return 0
