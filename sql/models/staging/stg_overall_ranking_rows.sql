-- stg_overall_ranking_rows: the overall final ranking of each event (FIELD-GUIDE §11.5).
-- grain: one row per event, class and driver
-- unique: event_id, class_name, name_key
select
    cast(event_id as bigint) as event_id,
    class_name,
    class_key,
    name_key,
    cast(position as integer) as final_position,
    driver_name as printed_driver_name,
    cast(main_place as integer) as main_place,
    cast(points as integer) as multi_main_points,
    cast(laps as integer) as laps,
    cast(total_time as double) as total_time_seconds,
    flag,
    result_raw,
    race_label,
    cast(race_id as bigint) as race_id
from src_overall_ranking_rows
where removed_at is null
