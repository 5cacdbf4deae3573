-- stg_multi_main_rows: LiveRC's published standing on a multi-main page.
-- grain: one row per multi-main page and driver (normalized printed name)
-- unique: multi_main_id, name_key
select
    cast(multi_main_id as bigint) as multi_main_id,
    name_key,
    driver_name,
    cast(position as integer) as published_position,
    cast(seeded_position as integer) as seeded_position,
    cast(points as integer) as published_points
from src_multi_main_rows
where removed_at is null
