-- mart_practice_driver_days: how one driver practised on one day.
-- grain: one row per practice driver and practice day
-- unique: driver_key, source_event_id
--
-- Drivers are practice identities (driver_key, the normalized printed name); Unknown Driver
-- sessions are left out. Figures over the day's valid laps (int_practice_session_stats):
-- * best_lap: fastest valid lap of the day; best_3_consecutive: best of the sessions' best three
--   laps in a row (never spanning two sessions);
-- * avg_lap: mean of every valid lap of the day (lap-weighted, not a mean of session means);
-- * consistency_pct: 100 x (1 - standard deviation / mean) of the day's valid laps (100 = every
--   lap the same), NULL under two laps;
-- * improvement_seconds: first session's best lap minus last session's best lap (sessions in start
--   order; positive = faster by the end), improvement_pct the same over the first session's
--   best; NULL with one session (or a session without a lap).

with sessions as (
    select * from int_practice_session_stats where driver_key is not null
),

laps as (
    select s.driver_key, s.source_event_id, l.lap_time
    from stg_practice_laps as l
    join sessions as s using (session_id)
    where l.is_valid and l.lap_time is not null
),

lap_spread as (
    select
        driver_key,
        source_event_id,
        count(*) as lap_count,
        avg(lap_time) as avg_lap,
        stddev_pop(lap_time) as lap_time_sd
    from laps
    group by driver_key, source_event_id
),

ordered as (
    select
        *,
        row_number() over (partition by driver_key, source_event_id order by start_local, session_id) as nth,
        count(*) over (partition by driver_key, source_event_id) as of_sessions
    from sessions
),

per_day as (
    select
        driver_key,
        source_event_id,
        any_value(track_slug) as track_slug,
        any_value(practice_date) as practice_date,
        arg_max(driver_name, start_local) as driver_name,
        list_sort(list(distinct class_name)) as class_names,
        count(*) as sessions,
        sum(laps) as laps,
        round(sum(track_time_seconds), 3) as track_time_seconds,
        min(best_lap) as best_lap,
        min(best_3_consecutive) as best_3_consecutive,
        -- laps never read: fall back to the lap-weighted mean of the published averages
        sum(avg_lap * laps) / nullif(sum(laps) filter (where avg_lap is not null), 0) as published_avg_lap,
        min(start_local) as first_start_local,
        max(end_local) as last_end_local,
        max(best_lap) filter (where nth = 1) as first_session_best_lap,
        max(best_lap) filter (where nth = of_sessions) as last_session_best_lap,
        any_value(of_sessions) as of_sessions
    from ordered
    group by driver_key, source_event_id
)

select
    per_day.driver_key,
    per_day.source_event_id,
    per_day.track_slug,
    per_day.practice_date,
    per_day.driver_name,
    per_day.class_names,
    per_day.sessions,
    per_day.laps,
    per_day.track_time_seconds,
    per_day.best_lap,
    per_day.best_3_consecutive,
    round(coalesce(lap_spread.avg_lap, per_day.published_avg_lap), 3) as avg_lap,
    case
        when lap_spread.lap_count >= 2 then round(100 * (1 - lap_spread.lap_time_sd / lap_spread.avg_lap), 2)
    end as consistency_pct,
    per_day.first_session_best_lap,
    per_day.last_session_best_lap,
    case when per_day.of_sessions >= 2 then round(per_day.first_session_best_lap - per_day.last_session_best_lap, 3) end
        as improvement_seconds,
    case
        when per_day.of_sessions >= 2
            then round(100 * (per_day.first_session_best_lap - per_day.last_session_best_lap) / per_day.first_session_best_lap, 2)
    end as improvement_pct,
    per_day.first_start_local,
    per_day.last_end_local
from per_day
left join lap_spread using (driver_key, source_event_id)
