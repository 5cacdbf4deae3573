-- stg_practice_days: practice days (sql/postgres/0030_practice.sql) still listed upstream.
-- grain: one row per practice day
-- unique: source_event_id
select
    source_event_id,
    track_slug,
    practice_date,
    time_zone,
    cast(panel_total_laps as integer) as panel_total_laps,
    cast(panel_total_track_time_seconds as integer) as panel_total_track_time_seconds,
    cast(panel_unique_drivers as integer) as panel_unique_drivers,
    cast(panel_unique_classes as integer) as panel_unique_classes
from src_practice_days
where removed_at is null
