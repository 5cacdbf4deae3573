-- int_practice_session_stats: each practice session's figures, computed from its laps.
-- grain: one row per practice session
-- unique: session_id
--
-- Rules (used by every practice mart):
-- * only laps LiveRC marks valid count (is_valid: inside the session's valid_lap_min/max);
-- * laps: valid laps when the session's laps were read, else the day overview's lap count;
-- * best_lap: fastest valid lap (else the published fastest lap);
-- * best_3_consecutive: the lowest sum of three valid laps in a row (lap numbers n, n+1, n+2)
--   within one session (else the published figure); a session with fewer has none;
-- * avg_lap: mean valid lap; lap_time_sd: population standard deviation of valid laps;
-- * track_time_seconds: the sum of every lap time (else the session's length).
-- Sums of lap times are rounded to 3 decimals (lap times are in ms: float noise only), averages too.

with sessions as (
    select * from stg_practice_sessions
),

laps as (
    select * from stg_practice_laps
),

triples as (
    select
        session_id,
        lap_number,
        round(sum(lap_time) over w, 3) as three_lap_time,
        count(*) filter (where is_valid and lap_time is not null) over w as valid_in_window,
        max(lap_number) over w - lap_number as span
    from laps
    window w as (partition by session_id order by lap_number rows between current row and 2 following)
),

best_triples as (
    select session_id, min(three_lap_time) as best_3_consecutive
    from triples
    where valid_in_window = 3 and span = 2
    group by session_id
),

lap_figures as (
    select
        session_id,
        count(*) as lap_rows,
        count(*) filter (where is_valid and lap_time is not null) as valid_laps,
        min(lap_time) filter (where is_valid) as best_lap,
        round(avg(lap_time) filter (where is_valid), 3) as avg_lap,
        stddev_pop(lap_time) filter (where is_valid) as lap_time_sd,
        round(sum(lap_time), 3) as track_time_seconds,
        round(sum(lap_time) filter (where is_valid), 3) as valid_lap_time_sum
    from laps
    group by session_id
)

select
    s.session_id,
    s.source_event_id,
    s.track_slug,
    s.practice_date,
    s.driver_key,
    s.driver_name,
    s.class_key,
    s.class_name,
    s.transponder,
    s.start_local,
    s.end_local,
    s.end_estimated,
    coalesce(f.lap_rows, 0) > 0 as laps_read,
    case when f.lap_rows > 0 then f.valid_laps else coalesce(s.laps, 0) end as laps,
    case when f.lap_rows > 0 then f.best_lap else s.fastest_lap end as best_lap,
    case when f.lap_rows > 0 then t.best_3_consecutive else s.top3_consecutive end as best_3_consecutive,
    case when f.lap_rows > 0 then f.avg_lap else s.avg_lap end as avg_lap,
    case when f.lap_rows > 0 then f.lap_time_sd else s.std_deviation end as lap_time_sd,
    coalesce(f.valid_lap_time_sum, 0) as valid_lap_time_sum,
    case when f.lap_rows > 0 then f.track_time_seconds else s.length_seconds end as track_time_seconds
from sessions as s
left join lap_figures as f using (session_id)
left join best_triples as t using (session_id)
