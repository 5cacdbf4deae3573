-- stg_races: races still listed on their event page (removed_at is null).
-- grain: one row per race
-- unique: race_id
select
    cast(race_id as bigint) as race_id,
    cast(event_id as bigint) as event_id,
    track_slug,
    round_name,
    cast(race_number as integer) as race_number,
    class_name,
    class_key,
    race_name,
    race_label_raw,
    cast(heat_number as integer) as heat_number,
    cast(heat_count as integer) as heat_count,
    completed_local,
    completed_utc,
    time_zone,
    time_flag,
    cast(length_seconds as integer) as length_seconds,
    length_kind,
    caption_tag,
    cast(schedule_index as integer) as schedule_index,
    session_type as stored_session_type
from src_races
where removed_at is null
