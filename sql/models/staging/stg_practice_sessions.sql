-- stg_practice_sessions: every practice session (one driver on one transponder, one run).
-- grain: one row per practice session
-- unique: session_id
--
-- driver_key NULL = "Unknown Driver" (nobody); practice drivers are their own namespace (a
-- transponder is not a LiveRC driver id). laps: the detail page's count when read, else the
-- day overview's. end_local / end_utc: the detail page's end, else start + length (estimated).
-- start_utc / end_utc: NULL when the track's zone is unknown.
select
    cast(session_id as bigint) as session_id,
    source_event_id,
    track_slug,
    practice_date,
    driver_name,
    driver_key,
    class_name,
    class_key,
    transponder,
    start_local,
    start_utc,
    coalesce(end_local, start_local + to_seconds(cast(length_seconds as bigint))) as end_local,
    coalesce(end_utc, start_utc + to_seconds(cast(length_seconds as bigint))) as end_utc,
    end_local is null as end_estimated,
    cast(coalesce(lap_count, laps) as integer) as laps,
    cast(coalesce(detail_length_seconds, length_seconds) as double) as length_seconds,
    cast(fastest_lap as double) as fastest_lap,
    cast(avg_lap as double) as avg_lap,
    cast(top3_consecutive as double) as top3_consecutive,
    cast(std_deviation as double) as std_deviation,
    cast(consistency as double) as consistency_pct
from src_practice_sessions
where removed_at is null
