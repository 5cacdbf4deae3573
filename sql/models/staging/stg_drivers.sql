-- stg_drivers: LiveRC drivers (ids come only from race pages).
-- grain: one row per driver
-- unique: driver_id
select
    cast(driver_id as bigint) as driver_id,
    display_name as driver_name,
    normalized_name as driver_name_key,
    printed_name
from src_drivers
