-- stg_bumpup_corrections: every bump-up correction a person made (append-only history).
-- grain: one row per correction action
-- unique: correction_id
select
    cast(correction_id as bigint) as correction_id,
    cast(event_id as bigint) as event_id,
    action as correction_action,
    cast(driver_id as bigint) as driver_id,
    cast(source_race_id as bigint) as source_race_id,
    cast(target_race_id as bigint) as target_race_id,
    reason as correction_reason,
    set_by as correction_set_by,
    set_at as correction_set_at
from src_bumpup_corrections
