-- mart_practice_driver_track_trend: a driver's practice at one track over time (lap-time trend).
-- grain: one row per practice driver, track and practice day
-- unique: driver_key, track_slug, practice_date
--
-- day_number: 1 for the driver's first practice day at the track; personal_best_to_date: the
-- fastest lap of every day so far; change_from_previous_day / change_from_first_day: that
-- day's best lap minus the earlier one's (negative = faster); trend_seconds_per_30_days: the
-- least-squares slope of best lap against date over all of the driver's days at the track
-- (negative = getting faster; NULL with one day).

with days as (
    select * from mart_practice_driver_days
),

numbered as (
    select
        driver_key,
        track_slug,
        practice_date,
        driver_name,
        sessions,
        laps,
        best_lap,
        best_3_consecutive,
        avg_lap,
        consistency_pct,
        row_number() over (partition by driver_key, track_slug order by practice_date) as day_number,
        min(best_lap) over (partition by driver_key, track_slug order by practice_date
                            rows between unbounded preceding and current row) as personal_best_to_date,
        lag(best_lap) over (partition by driver_key, track_slug order by practice_date) as previous_day_best_lap,
        first_value(best_lap) over (partition by driver_key, track_slug order by practice_date) as first_day_best_lap,
        regr_slope(best_lap, date_diff('day', date '2000-01-01', practice_date))
            over (partition by driver_key, track_slug) as slope_per_day,
        count(*) over (partition by driver_key, track_slug) as days_at_track
    from days
)

select
    driver_key,
    track_slug,
    practice_date,
    cast(extract(year from practice_date) as integer) as year,
    driver_name,
    day_number,
    days_at_track,
    sessions,
    laps,
    best_lap,
    best_3_consecutive,
    avg_lap,
    consistency_pct,
    personal_best_to_date,
    round(best_lap - previous_day_best_lap, 3) as change_from_previous_day,
    round(best_lap - first_day_best_lap, 3) as change_from_first_day,
    case when days_at_track >= 2 then round(slope_per_day * 30, 3) end as trend_seconds_per_30_days
from numbered
