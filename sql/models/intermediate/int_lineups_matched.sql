-- int_lineups_matched: each heat sheet grid slot matched to its race and, where the race has run,
-- to that driver's result row.
-- grain: one row per heat sheet, race number and grid slot
-- unique: heat_sheet_id, race_number, grid_position
--
-- The race is the sheet's "View Results" link (race id); a race not yet run has no link, so it is
-- found by (event, round, race number) on the event page, where race numbers restart per round
-- (event-486677.html). The driver is matched on the normalized printed name (the sheet shows no
-- driver ids). Results win: result_position, result_status and in_results come from the race page;
-- a grid that disagrees with them (a sheet edited after the race ran, FIELD-GUIDE §11.3) shows as
-- in_results = false on a race whose has_results is true, and never changes a result.

with slots as (
    select l.*, r.event_id, r.track_slug, r.round_name, r.race_label, r.class_name, r.sheet_status, r.linked_race_id
    from stg_lineups as l
    join stg_heat_sheet_races as r using (heat_sheet_id, race_number)
),

by_number as (
    select event_id, round_name, race_number, min(race_id) as race_id
    from stg_races
    group by event_id, round_name, race_number
),

result_names as (
    select
        race_id,
        driver_id,
        finish_position,
        result_status,
        lower(trim(regexp_replace(printed_driver_name, '\s+', ' ', 'g'))) as name_norm
    from stg_race_results
),

result_counts as (
    select race_id, count(*) as result_rows from stg_race_results group by race_id
)

select
    s.heat_sheet_id,
    s.race_number,
    s.grid_position,
    s.event_id,
    s.track_slug,
    s.round_name,
    s.race_label,
    s.class_name,
    s.car_number,
    s.printed_driver_name,
    s.transponder,
    s.sheet_status,
    coalesce(s.linked_race_id, n.race_id) as race_id,
    case when s.linked_race_id is not null then 'result link' when n.race_id is not null then 'round and race number' end
        as race_match_rule,
    coalesce(rc.result_rows, 0) > 0 as has_results,
    rn.driver_id,
    rn.finish_position as result_position,
    rn.result_status,
    rn.race_id is not null as in_results
from slots as s
left join by_number as n
    on s.linked_race_id is null and n.event_id = s.event_id and n.round_name = s.round_name
    and n.race_number = s.race_number
left join result_counts as rc on rc.race_id = coalesce(s.linked_race_id, n.race_id)
left join result_names as rn
    on rn.race_id = coalesce(s.linked_race_id, n.race_id)
    and rn.name_norm = lower(trim(regexp_replace(s.printed_driver_name, '\s+', ' ', 'g')))
