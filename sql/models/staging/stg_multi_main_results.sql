-- stg_multi_main_results: multi-main pages (FIELD-GUIDE §11.2): one class and main letter each.
-- grain: one row per multi-main page
-- unique: multi_main_id
select
    cast(multi_main_id as bigint) as multi_main_id,
    cast(event_id as bigint) as event_id,
    track_slug,
    class_name,
    class_key,
    main_letter,
    main_format,
    leg_labels,
    tie_breaker_rule as published_rule,
    cast(completed_legs as integer) as legs_completed_printed,
    cast(scheduled_legs as integer) as legs_scheduled
from src_multi_main_results
