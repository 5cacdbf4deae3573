-- mart_bumpup_driver_history: each driver's bump-up history, oldest first.
-- grain: one row per driver and bump-up
-- unique: driver_id, target_race_id
--
-- Columns: driver_id, driver_name, nth_bumpup (1 = the driver's first), event_date, event_id,
-- event_name, track_slug, class_name, source_tier_label, source_finish_position,
-- target_tier_label, target_start_position, target_finish_position, target_status,
-- positions_gained (start - finish; NULL for a DNS), confidence.

select
    driver_id,
    driver_name,
    row_number() over (partition by driver_id order by event_date nulls last, event_id, step_in_event) as nth_bumpup,
    event_date,
    event_id,
    event_name,
    track_slug,
    class_name,
    source_tier_label,
    source_finish_position,
    target_tier_label,
    target_start_position,
    target_finish_position,
    target_status,
    case when target_status <> 'did_not_start' then target_start_position - target_finish_position end
        as positions_gained,
    confidence,
    target_race_id
from mart_bumpups
