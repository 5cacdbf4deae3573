-- mart_bumpup_track_trends: per track and class, how many drivers advance per main, event by event (for "over time" charts).
-- grain: one row per track, class and event with bump-ups
-- unique: track_slug, class_name, event_id
--
-- Columns: track_slug, class_name, event_id, event_date, source_mains (races drivers bumped
-- from), bumpups, bumpups_per_main (bumpups / source_mains), lcq_bumpups, max_tier_climbed
-- (the most steps one driver took that event: 2 for C -> B -> A).

select
    track_slug,
    class_name,
    event_id,
    any_value(event_date) as event_date,
    count(distinct source_race_id) as source_mains,
    count(*) as bumpups,
    count(*) / count(distinct source_race_id) as bumpups_per_main,
    count(*) filter (where bumpup_kind = 'lcq') as lcq_bumpups,
    max(step_in_event) as max_tier_climbed
from mart_bumpups
group by track_slug, class_name, event_id
