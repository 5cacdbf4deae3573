-- mart_bumpup_entry_routes: how every driver of a main that received bump-ups got there (bumped up or qualified directly) and how they did.
-- grain: one row per target race and driver
-- unique: race_id, driver_id
--
-- Columns: event_id, track_slug, event_date, class_name, race_id, race_name, tier_label,
-- driver_id, entry_route (bumpup | direct), start_position (lap-0 grid, else Qual), finish_position,
-- field_size, positions_gained (start - finish; NULL for a DNS), finish_percentile (1.0 = won,
-- 0.0 = last: 1 - (finish - 1) / (field - 1)), did_not_start, stopped_early, result_status.
-- Only the races bump-ups went into (the first leg of a double/triple main) are included, so
-- both routes race the same field.

with targets as (
    select distinct target_race_id as race_id, event_id, track_slug, event_date, class_name,
        target_race_name as race_name, target_tier_label as tier_label
    from mart_bumpups
),

field as (
    select race_id, count(*) as field_size from stg_race_results group by race_id
)

select
    t.event_id,
    t.track_slug,
    t.event_date,
    t.class_name,
    t.race_id,
    t.race_name,
    t.tier_label,
    r.driver_id,
    case when b.driver_id is not null then 'bumpup' else 'direct' end as entry_route,
    coalesce(r.grid_position, r.qual_position) as start_position,
    r.finish_position,
    f.field_size,
    case when r.result_status <> 'did_not_start' then coalesce(r.grid_position, r.qual_position) - r.finish_position
    end as positions_gained,
    case when f.field_size > 1 then round(1.0 - (r.finish_position - 1) / (f.field_size - 1.0), 3) end as finish_percentile,
    r.result_status = 'did_not_start' as did_not_start,
    r.result_status = 'stopped_early' as stopped_early,
    r.result_status
from targets as t
join stg_race_results as r on r.race_id = t.race_id
join field as f on f.race_id = t.race_id
left join mart_bumpups as b on b.target_race_id = t.race_id and b.driver_id = r.driver_id
