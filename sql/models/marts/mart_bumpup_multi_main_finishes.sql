-- mart_bumpup_multi_main_finishes: how bump-up drivers finished overall in the multi-main they
-- bumped into ("how did bump-up drivers finish in the triple A-main"), next to the direct qualifiers.
-- grain: one row per multi-main page and driver
-- unique: multi_main_id, name_key
--
-- A multi-main page carries no driver ids (FIELD-GUIDE §11.2), so a bump-up is matched to its
-- standing by event, class, main letter (the bump-up's target tier) and the normalized printed name.
-- The overall is mart_multi_main_standings' recomputed one; LiveRC's published one sits beside it.
with standings as (
    select * from mart_multi_main_standings
),

bumpups as (
    select * from mart_bumpups
),

bumped as (
    select
        b.event_id,
        lower(trim(b.class_name)) as class_match,
        b.target_tier_label,
        lower(regexp_replace(trim(b.driver_name), '\s+', ' ', 'g')) as name_match,
        min(b.driver_id) as driver_id,
        min(b.source_tier_label) as source_tier_label,
        min(b.source_finish_position) as source_finish_position,
        min(b.confidence) as bumpup_confidence
    from bumpups as b
    group by 1, 2, 3, 4
),

field as (
    select multi_main_id, count(*) as field_size
    from standings
    group by multi_main_id
)

select
    s.multi_main_id,
    s.event_id,
    s.track_slug,
    s.class_name,
    s.main_letter,
    s.main_format,
    s.name_key,
    s.driver_name,
    b.driver_id,
    b.name_match is not null as bumped_up,
    b.source_tier_label,
    b.source_finish_position,
    b.bumpup_confidence,
    s.seeded_position,
    s.computed_position as overall_position,
    s.published_position,
    s.computed_points as overall_points,
    s.legs_run,
    s.legs_sat_out,
    f.field_size,
    -- 0 = won the class's overall, 1 = last
    case when f.field_size > 1 then round((s.computed_position - 1) / cast(f.field_size - 1 as double), 3) end
        as overall_percentile,
    s.seeded_position - s.computed_position as places_gained_from_seed
from standings as s
inner join field as f on f.multi_main_id = s.multi_main_id
left join bumped as b
    on b.event_id = s.event_id
   and b.class_match = lower(trim(s.class_name))
   and b.target_tier_label = s.main_letter || '-Main'
   and b.name_match = s.name_key
