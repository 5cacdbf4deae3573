-- stg_multi_main_legs: each driver's leg cells on a multi-main page; seconds as double.
-- grain: one row per multi-main page, driver and leg
-- unique: multi_main_id, name_key, leg_number
select
    cast(multi_main_id as bigint) as multi_main_id,
    name_key,
    cast(leg_number as integer) as leg_number,
    leg_label,
    cast(place as integer) as leg_place,
    cast(leg_points as integer) as leg_points,
    cast(laps as integer) as laps,
    cast(total_time as double) as total_time_seconds,
    flag as leg_flag,
    sat_out
from src_multi_main_legs
where removed_at is null
