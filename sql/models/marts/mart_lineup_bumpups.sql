-- mart_lineup_bumpups: bump-ups the grid of a higher main shows, also before its results exist.
-- grain: one row per target race and grid slot of a driver who raced the main feeding it
-- unique: target_race_id, grid_position
--
-- A driver on the heat-sheet grid of a main (the first-run race of its tier: A1 of a triple) who
-- also has a result in the lower main or LCQ that feeds it at the same event, run before it, moved
-- up. Tiers and feeds come from int_race_tiers (read only). evidence says how far to trust it:
-- * 'grid, no results yet': the target has no results stored: the grid alone confirms the move;
-- * 'grid and results': the target's results list the driver too;
-- * 'grid contradicted by results': the target ran and its results do not list the driver (a sheet
--   edited after the race ran); results win, so such a row is never a bump-up.
-- Separate from int_bumpups_detected / mart_bumpups on purpose: those read results only and can
-- take these rows as a source later.

with tiers as (
    select race_id, event_id, ladder_class, tier_rank, feeds_rank, run_order, has_results
    from int_race_tiers
    where tier_rank is not null
),

first_of_tier as (
    select event_id, ladder_class, tier_rank, min(run_order) as first_run
    from tiers
    group by event_id, ladder_class, tier_rank
),

targets as (
    select t.*
    from tiers as t
    join first_of_tier as f using (event_id, ladder_class, tier_rank)
    where t.run_order = f.first_run and t.tier_rank is not null
),

source_results as (
    select
        s.race_id as source_race_id,
        s.event_id,
        s.ladder_class,
        s.feeds_rank,
        s.run_order as source_run_order,
        r.driver_id,
        r.finish_position as source_position,
        lower(trim(regexp_replace(r.printed_driver_name, '\s+', ' ', 'g'))) as name_norm
    from tiers as s
    join stg_race_results as r on r.race_id = s.race_id
    where s.feeds_rank is not null
)

select
    g.event_id,
    t.ladder_class as class_name,
    sr.source_race_id,
    t.race_id as target_race_id,
    sr.driver_id,
    g.printed_driver_name as driver_name,
    sr.source_position,
    g.grid_position,
    g.heat_sheet_id,
    t.has_results as target_has_results,
    case
        when not t.has_results then 'grid, no results yet'
        when g.in_results then 'grid and results'
        else 'grid contradicted by results'
    end as evidence,
    (not t.has_results or g.in_results) as is_bumpup
from int_lineups_matched as g
join targets as t on t.race_id = g.race_id
join source_results as sr
    on sr.event_id = t.event_id and sr.ladder_class = t.ladder_class and sr.feeds_rank = t.tier_rank
    and sr.source_run_order < t.run_order
    and sr.name_norm = lower(trim(regexp_replace(g.printed_driver_name, '\s+', ' ', 'g')))
