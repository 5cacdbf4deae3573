-- mart_bumpup_event_classes: per event and class, how many drivers bumped up into each main ("4 drivers bumped up to the A-Main").
-- grain: one row per event, class and target tier that received bump-ups
-- unique: event_id, class_name, target_tier_label
--
-- Columns: event_id, track_slug, event_name, event_date, class_name, target_tier_label,
-- target_tier_rank, target_race_id (the first leg for double/triple mains), source_tier_labels,
-- bumpups, high_confidence, did_not_start (bump-ups who then did not start the target), summary.

select
    event_id,
    any_value(track_slug) as track_slug,
    any_value(event_name) as event_name,
    any_value(event_date) as event_date,
    class_name,
    target_tier_label,
    any_value(target_tier_rank) as target_tier_rank,
    min(target_race_id) as target_race_id,
    list_sort(list_distinct(list(source_tier_label))) as source_tier_labels,
    count(*) as bumpups,
    count(*) filter (where confidence in ('high', 'curated')) as high_confidence,
    count(*) filter (where target_status = 'did_not_start') as did_not_start,
    count(*) || case when count(*) = 1 then ' driver' else ' drivers' end
        || ' bumped up to the ' || target_tier_label as summary
from mart_bumpups
group by event_id, class_name, target_tier_label
