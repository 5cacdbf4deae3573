-- stg_race_results: every published figure of a race result row; seconds as double.
-- grain: one row per race and driver
-- unique: race_id, driver_id
select
    cast(race_id as bigint) as race_id,
    cast(driver_id as bigint) as driver_id,
    cast(position as integer) as finish_position,
    car_number,
    driver_name as printed_driver_name,
    cast(qual_position as integer) as qual_position,
    cast(grid_position as integer) as grid_position,
    cast(laps as integer) as laps,
    cast(total_time as double) as total_time_seconds,
    cast(behind_seconds as double) as behind_seconds,
    cast(behind_laps as integer) as behind_laps,
    cast(fastest_lap as double) as fastest_lap,
    cast(fastest_lap_number as integer) as fastest_lap_number,
    cast(avg_lap as double) as avg_lap,
    cast(avg_top5 as double) as avg_top5,
    cast(avg_top10 as double) as avg_top10,
    cast(avg_top15 as double) as avg_top15,
    cast(top2_consecutive as double) as top2_consecutive,
    cast(top3_consecutive as double) as top3_consecutive,
    cast(std_deviation as double) as std_deviation,
    cast(consistency as double) as consistency_pct,
    status as result_status,
    driver_id_source
from src_race_results
where removed_at is null
