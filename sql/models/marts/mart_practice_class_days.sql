-- mart_practice_class_days: one class on one practice day.
-- grain: one row per practice day and class
-- unique: source_event_id, class_key
--
-- drivers: distinct practice drivers (Unknown Driver not counted); best_lap with the driver who
-- set it (earliest session on a tie); avg_lap over every valid lap of the class that day;
-- median_driver_best_lap: the median of the drivers' best laps (how fast the class typically is).

with sessions as (
    select * from int_practice_session_stats
),

driver_bests as (
    select source_event_id, class_key, driver_key, min(best_lap) as driver_best_lap
    from sessions
    where driver_key is not null
    group by source_event_id, class_key, driver_key
),

class_medians as (
    select source_event_id, class_key, round(median(driver_best_lap), 3) as median_driver_best_lap
    from driver_bests
    group by source_event_id, class_key
)

select
    sessions.source_event_id,
    sessions.class_key,
    any_value(sessions.track_slug) as track_slug,
    any_value(sessions.practice_date) as practice_date,
    min(sessions.class_name) as class_name,
    count(*) as sessions,
    count(distinct sessions.driver_key) as drivers,
    sum(sessions.laps) as laps,
    round(sum(sessions.track_time_seconds), 3) as track_time_seconds,
    min(sessions.best_lap) as best_lap,
    arg_min(sessions.driver_name, (sessions.best_lap, sessions.start_local)) as best_lap_driver_name,
    round(sum(sessions.valid_lap_time_sum) / nullif(sum(sessions.laps) filter (where sessions.laps_read), 0), 3) as avg_lap,
    any_value(class_medians.median_driver_best_lap) as median_driver_best_lap,
    min(sessions.start_local) as first_start_local,
    max(sessions.end_local) as last_end_local
from sessions
left join class_medians using (source_event_id, class_key)
group by sessions.source_event_id, sessions.class_key
