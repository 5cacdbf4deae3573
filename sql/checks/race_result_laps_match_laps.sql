-- A result's printed lap count equals its stored laps (racerLaps minus the lap-0 grid entry,
-- FIELD-GUIDE 5.3: "a driver's lap count is len(laps) - 1"). Only races whose laps were stored
-- are compared; DNS rows print 0 laps and have none.
with lap_counts as (
    select race_id, driver_id, count(*) as stored_laps
    from stg_laps
    group by race_id, driver_id
),

races_with_laps as (
    select distinct race_id from stg_laps
)

select
    results.race_id,
    results.driver_id,
    results.laps as printed_laps,
    coalesce(lap_counts.stored_laps, 0) as stored_laps
from stg_race_results as results
join races_with_laps using (race_id)
left join lap_counts using (race_id, driver_id)
where results.laps is not null
  and results.laps <> coalesce(lap_counts.stored_laps, 0)
