-- mart_practice_days: one practice day at a track, typed: sessions, laps, track time, drivers, classes.
-- grain: one row per practice day
-- unique: source_event_id
--
-- laps / track time follow int_practice_session_stats (valid laps; every lap's time).
-- unique_drivers: distinct practice drivers (Unknown Driver is nobody, not counted);
-- unique_classes: distinct class keys, Unknown Class counted (as LiveRC's panel counts it).
-- first_start_local: the first session's start; last_end_local: the last session's END
-- (estimated as start + length when its detail page was not read: last_end_estimated).
-- panel_*: LiveRC's own "Practice Stats" panel as printed, for comparison.

with days as (
    select * from stg_practice_days
),

sessions as (
    select * from int_practice_session_stats
),

per_day as (
    select
        source_event_id,
        count(*) as sessions,
        sum(laps) as laps,
        round(sum(track_time_seconds), 3) as track_time_seconds,
        count(distinct driver_key) as unique_drivers,
        count(distinct class_key) as unique_classes,
        count(distinct transponder) as unique_transponders,
        min(start_local) as first_start_local,
        max(end_local) as last_end_local,
        arg_max(end_estimated, end_local) as last_end_estimated,
        min(best_lap) as best_lap
    from sessions
    group by source_event_id
)

select
    days.source_event_id,
    days.track_slug,
    days.practice_date,
    cast(extract(year from days.practice_date) as integer) as year,
    days.time_zone,
    coalesce(per_day.sessions, 0) as sessions,
    coalesce(per_day.laps, 0) as laps,
    coalesce(per_day.track_time_seconds, 0) as track_time_seconds,
    coalesce(per_day.unique_drivers, 0) as unique_drivers,
    coalesce(per_day.unique_classes, 0) as unique_classes,
    coalesce(per_day.unique_transponders, 0) as unique_transponders,
    per_day.first_start_local,
    per_day.last_end_local,
    per_day.last_end_estimated,
    per_day.best_lap,
    days.panel_total_laps,
    days.panel_total_track_time_seconds,
    days.panel_unique_drivers,
    days.panel_unique_classes
from days
left join per_day using (source_event_id)
