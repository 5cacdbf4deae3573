-- stg_tracks: LiveRC tracks (catalogue row + dashboard + time zone), renamed.
-- grain: one row per track
-- unique: track_slug
select
    slug as track_slug,
    slug_raw,
    name as track_name,
    city,
    region,
    postcode,
    country,
    country_code,
    time_zone,
    time_zone_source,
    lifetime_laps,
    lifetime_practice_sessions,
    lifetime_races,
    lifetime_entries,
    lifetime_events
from src_tracks
