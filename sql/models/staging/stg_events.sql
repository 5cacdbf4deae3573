-- stg_events: events still listed upstream (removed_at is null), LiveRC and practice days alike.
-- grain: one row per event (source_event_id; LiveRC events also carry event_id)
-- unique: source_event_id
select
    source_event_id,
    source as event_source,
    source = 'practice' as is_practice_day,
    cast(event_id as bigint) as event_id,
    track_slug,
    name as event_name,
    track_name as track_display_name,
    date_start,
    date_end,
    race_track,
    entries,
    drivers,
    total_race_laps,
    listed_start_local,
    listed_start_has_time
from src_events
where removed_at is null
