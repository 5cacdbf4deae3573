-- mart_bumpup_route_summary: bump-up drivers against direct qualifiers in the same mains, per track and class.
-- grain: one row per track, class and entry route
-- unique: track_slug, class_name, entry_route
--
-- Columns: track_slug, class_name, entry_route (bumpup | direct), mains, drivers (driver-races),
-- avg_positions_gained (grid to finish, starters only), avg_finish_percentile, did_not_start_rate,
-- stopped_early_rate, finished_ahead_of_start_rate (share of starters who gained places); rounded to 3 decimals.

select
    track_slug,
    class_name,
    entry_route,
    count(distinct race_id) as mains,
    count(*) as drivers,
    round(avg(positions_gained), 3) as avg_positions_gained,
    round(avg(finish_percentile), 3) as avg_finish_percentile,
    round(avg(case when did_not_start then 1.0 else 0.0 end), 3) as did_not_start_rate,
    round(avg(case when stopped_early then 1.0 else 0.0 end), 3) as stopped_early_rate,
    round(avg(case when positions_gained > 0 then 1.0 when positions_gained is not null then 0.0 end), 3)
        as finished_ahead_of_start_rate
from mart_bumpup_entry_routes
group by track_slug, class_name, entry_route
