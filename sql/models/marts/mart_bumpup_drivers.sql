-- mart_bumpup_drivers: drivers who bump up most often, across events and tracks.
-- grain: one row per driver with at least one bump-up
-- unique: driver_id
--
-- Columns: driver_id, driver_name, bumpups, events, tracks, classes, first_bumpup_date,
-- last_bumpup_date, avg_source_position, avg_positions_gained (grid to finish in the higher main,
-- starters only), did_not_start (bump-ups not started), bumpup_rank (1 = most bump-ups).

select
    driver_id,
    arg_max(driver_name, event_date) as driver_name,
    count(*) as bumpups,
    count(distinct event_id) as events,
    count(distinct track_slug) as tracks,
    count(distinct class_name) as classes,
    min(event_date) as first_bumpup_date,
    max(event_date) as last_bumpup_date,
    avg(source_finish_position) as avg_source_position,
    avg(case when target_status <> 'did_not_start' then target_start_position - target_finish_position end)
        as avg_positions_gained,
    count(*) filter (where target_status = 'did_not_start') as did_not_start,
    rank() over (order by count(*) desc) as bumpup_rank
from mart_bumpups
group by driver_id
