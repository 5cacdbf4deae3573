-- stg_lineups: heat sheet grid slots still on their sheet (pole = grid_position 1).
-- grain: one row per heat sheet, race number and grid slot
-- unique: heat_sheet_id, race_number, grid_position
select
    cast(heat_sheet_id as bigint) as heat_sheet_id,
    cast(race_number as integer) as race_number,
    cast(grid_position as integer) as grid_position,
    car_number,
    driver_name as printed_driver_name,
    name_key,
    transponder
from src_lineups
where removed_at is null
