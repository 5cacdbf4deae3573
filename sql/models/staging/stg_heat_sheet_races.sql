-- stg_heat_sheet_races: the race blocks of each heat sheet still on it, with the sheet's event and round.
-- grain: one row per heat sheet and race number
-- unique: heat_sheet_id, race_number
select
    cast(r.heat_sheet_id as bigint) as heat_sheet_id,
    cast(s.event_id as bigint) as event_id,
    s.track_slug,
    s.round_name,
    cast(r.race_number as integer) as race_number,
    r.race_label,
    r.class_name,
    r.class_key,
    cast(r.heat_number as integer) as heat_number,
    cast(r.heat_count as integer) as heat_count,
    r.status as sheet_status,
    cast(r.race_id as bigint) as linked_race_id
from src_heat_sheet_races as r
join src_heat_sheets as s on s.heat_sheet_id = r.heat_sheet_id
where r.removed_at is null
