-- stg_practice_laps: every lap of every practice session, with LiveRC's validity flag.
-- grain: one row per practice session and lap
-- unique: session_id, lap_number
select
    cast(session_id as bigint) as session_id,
    cast(lap_number as integer) as lap_number,
    cast(lap_time as double) as lap_time,
    end_local,
    end_utc,
    coalesce(is_valid, true) as is_valid
from src_practice_laps
where removed_at is null
