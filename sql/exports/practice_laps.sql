-- practice_laps export: every practice lap with the keys an analyst filters and joins on (track,
-- practice day, class, session, driver in the practice namespace), and when the lap ended, local
-- and UTC (end_utc NULL when the track's zone is unknown, end_local NULL when the page printed no
-- time for the lap). race_key joins mart_races / mart_race_session_types.
-- grain: one row per practice session and lap
-- unique: session_id, lap_number
with sessions as (
    select
        s.session_id,
        s.track_slug,
        s.source_event_id,
        s.practice_date,
        cast(extract(year from s.practice_date) as integer) as year,
        s.class_name,
        s.class_key,
        s.driver_key,
        s.driver_name,
        s.transponder,
        d.time_zone
    from stg_practice_sessions as s
    left join stg_practice_days as d using (source_event_id)
)

select
    sessions.track_slug,
    sessions.year,
    sessions.source_event_id,
    sessions.practice_date,
    sessions.class_name,
    sessions.class_key,
    laps.session_id,
    'practice-' || laps.session_id as race_key,
    sessions.driver_key,
    sessions.driver_name,
    sessions.transponder,
    laps.lap_number,
    laps.lap_time,
    laps.is_valid,
    laps.end_local,
    laps.end_utc,
    sessions.time_zone
from stg_practice_laps as laps
join sessions using (session_id)
