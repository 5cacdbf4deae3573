-- stg_laps: every lap of every race (lap 0, the grid slot, lives in stg_race_results.grid_position).
-- grain: one row per race, driver and lap
-- unique: race_id, driver_id, lap_number
select
    cast(race_id as bigint) as race_id,
    cast(driver_id as bigint) as driver_id,
    cast(lap_number as smallint) as lap_number,
    cast(lap_time as double) as lap_time,
    cast(position as smallint) as running_position
from src_laps
where removed_at is null
