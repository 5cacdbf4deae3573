"""Time zones: recompute a track's race instants when its zone changes; a person's zone override."""

from __future__ import annotations

import psycopg

from mre_crawler.store.rows import _slug
from mre_crawler.timezones import SOURCE_OVERRIDE, local_to_utc


def recompute_track_times(conn: psycopg.Connection, slug: str, *, _in_tx: bool = False) -> int:
    """Recompute every race's zone/UTC instant/flag for a track from its current zone.

    Returns the number of races whose stored values changed."""
    slug = _slug(slug)

    def run() -> int:
        cur = conn.cursor()
        row = cur.execute("SELECT time_zone FROM mre.tracks WHERE slug = %s", (slug,)).fetchone()
        zone = row[0] if row else None
        races = cur.execute(
            "SELECT race_id, completed_local FROM mre.races WHERE track_slug = %s AND completed_local IS NOT NULL",
            (slug,),
        ).fetchall()
        if not races:
            return 0
        cur.execute("CREATE TEMP TABLE stage_race_times (race_id bigint, time_zone text, completed_utc timestamptz, "
                    "time_flag text) ON COMMIT DROP")
        with cur.copy("COPY stage_race_times FROM STDIN") as copy:
            for race_id, local in races:
                utc, flag = local_to_utc(local, zone)
                copy.write_row((race_id, zone, utc, flag))
        # Here NULL is meant: an unknown zone clears the instant rather than keeping a stale one.
        cur.execute(
            """UPDATE mre.races t SET time_zone = s.time_zone, completed_utc = s.completed_utc,
                      time_flag = s.time_flag, updated_at = now()
               FROM stage_race_times s
               WHERE s.race_id = t.race_id
                 AND ROW(t.time_zone, t.completed_utc, t.time_flag) IS DISTINCT FROM ROW(s.time_zone, s.completed_utc, s.time_flag)"""
        )
        n = cur.rowcount
        cur.execute("DROP TABLE stage_race_times")
        return n

    if _in_tx:
        return run()
    if conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS:
        conn.commit()
    with conn.transaction():
        return run()


def set_track_zone(conn: psycopg.Connection, slug: str, zone: str, note: str | None = None) -> int:
    """A person's override: set the zone (never overwritten by a crawl), recompute the instants.

    Creates the track row when the track was never crawled. Returns races updated."""
    slug = _slug(slug)
    if conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS:
        conn.commit()
    with conn.transaction():
        conn.execute(
            """INSERT INTO mre.tracks (slug, time_zone, time_zone_source, time_zone_note)
               VALUES (%s, %s, %s, %s)
               ON CONFLICT (slug) DO UPDATE SET time_zone = EXCLUDED.time_zone,
                   time_zone_source = EXCLUDED.time_zone_source, time_zone_note = EXCLUDED.time_zone_note,
                   updated_at = now()
               WHERE ROW(mre.tracks.time_zone, mre.tracks.time_zone_source)
                     IS DISTINCT FROM ROW(EXCLUDED.time_zone, EXCLUDED.time_zone_source)""",
            (slug, zone, SOURCE_OVERRIDE, note or "set by mre tracks set-timezone"),
        )
        return recompute_track_times(conn, slug, _in_tx=True)


def re_resolve_track_zones(conn: psycopg.Connection) -> list[tuple[str, str | None, str | None, int]]:
    """Resolve every crawled track's zone again from its stored dashboard address with the resolver
    this install has (after an upgrade of the resolver or its data), and re-time the races of each
    track whose zone changed. A person's override is left alone; a track whose address gives no
    zone now keeps the one it has (nothing good replaced by nothing).

    Returns (slug, old zone, new zone, races updated) per track changed."""
    from mre_crawler.timezones import zone_from_address

    if conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS:
        conn.commit()
    rows = conn.execute(
        "SELECT slug, country_code, country, region, postcode, city, time_zone, time_zone_source FROM mre.tracks"
        " WHERE time_zone_source IS DISTINCT FROM %s AND (country_code IS NOT NULL OR country IS NOT NULL)"
        " ORDER BY slug", (SOURCE_OVERRIDE,)).fetchall()
    changed = []
    for slug, cc, country, region, postcode, city, zone, source in rows:
        guess = zone_from_address(cc, country, region, postcode, city)
        if guess.zone is None or (guess.zone, guess.source) == (zone, source):
            continue
        with conn.transaction():
            conn.execute(
                "UPDATE mre.tracks SET time_zone = %s, time_zone_source = %s, time_zone_note = %s, updated_at = now()"
                " WHERE slug = %s AND time_zone_source IS DISTINCT FROM %s",
                (guess.zone, guess.source, guess.reason, slug, SOURCE_OVERRIDE))
            n = recompute_track_times(conn, slug, _in_tx=True) if guess.zone != zone else 0
        changed.append((slug, zone, guess.zone, n))
    return changed
