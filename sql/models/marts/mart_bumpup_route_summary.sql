-- mart_bumpup_route_summary: bump-up drivers against direct qualifiers in the same mains, per track and class.
-- grain: one row per track, class and entry route
-- unique: track_slug, class_name, entry_route
--
-- Columns: track_slug, class_name, entry_route (bumpup | direct), mains, drivers (driver-races),
-- avg_positions_gained (grid to finish, starters only), avg_finish_percentile, did_not_start_rate,
-- stopped_early_rate, finished_ahead_of_start_rate (share of starters who gained places).

select
    track_slug,
    class_name,
    entry_route,
    count(distinct race_id) as mains,
    count(*) as drivers,
    avg(positions_gained) as avg_positions_gained,
    avg(finish_percentile) as avg_finish_percentile,
    avg(case when did_not_start then 1.0 else 0.0 end) as did_not_start_rate,
    avg(case when stopped_early then 1.0 else 0.0 end) as stopped_early_rate,
    avg(case when positions_gained > 0 then 1.0 when positions_gained is not null then 0.0 end)
        as finished_ahead_of_start_rate
from mart_bumpup_entry_routes
group by track_slug, class_name, entry_route
