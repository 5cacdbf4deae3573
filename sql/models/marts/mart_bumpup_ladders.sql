-- mart_bumpup_ladders: each class's main ladder per event: every rung, whether its results are stored, and how many bumped in and out.
-- grain: one row per race on a main ladder or with an unrecognised label
-- unique: race_id
--
-- Columns: event_id, track_slug, class_name (the ladder class), published_class_name, race_id,
-- race_name, tier_kind, tier_label, tier_rank, leg, feeds_rank, feeds_tier_label, run_order,
-- completed_local, has_results, result_rows, bumpups_in, bumpups_out, note.
-- note says why the rung matters to the bump-up report: a race listed on the event page with no
-- results stored ("results page not stored: bump-ups from it into the B-Main cannot be
-- identified"), a ladder that skips a letter, an LCQ listed under another class (in plain words), or a label
-- that got no tier (with the reason). Heats and qualifying rounds are left out.

with tiers as (
    select * from int_race_tiers
    where tier_rank is not null or tier_kind in ('unrecognised', 'lcq', 'bracket')
),

labels as (
    select event_id, ladder_class, tier_rank, min(tier_label) as tier_label
    from int_race_tiers
    where tier_rank is not null
    group by event_id, ladder_class, tier_rank
),

bumpins as (
    select target_race_id as race_id, count(*) as n from mart_bumpups group by target_race_id
),

bumpouts as (
    select source_race_id as race_id, count(*) as n from mart_bumpups group by source_race_id
)

select
    t.event_id,
    t.track_slug,
    t.ladder_class as class_name,
    t.class_name as published_class_name,
    t.race_id,
    t.race_name,
    t.tier_kind,
    t.tier_label,
    t.tier_rank,
    t.leg,
    t.feeds_rank,
    l.tier_label as feeds_tier_label,
    t.run_order,
    t.completed_local,
    t.has_results,
    t.result_rows,
    coalesce(bi.n, 0) as bumpups_in,
    coalesce(bo.n, 0) as bumpups_out,
    case
        when t.tier_rank is null then t.tier_reason
        when not t.has_results and t.feeds_rank is not null
            then 'results page not stored: bump-ups from it into the ' || l.tier_label || ' cannot be identified'
        when not t.has_results then 'results page not stored'
        when t.skips_tier then 'the ladder skips a tier: it feeds the ' || l.tier_label
        when t.ladder_class_rule = 'label'
            then 'LiveRC lists this race under ''' || t.class_name || '''; it is shown with ' || t.ladder_class
                 || ' because its name says so'
        when t.ladder_class_rule = 'schedule'
            then 'LiveRC lists this race under ''' || t.class_name || '''; it is shown with ' || t.ladder_class
                 || ' because it ran just before that class''s top main'
    end as note
from tiers as t
left join labels as l on l.event_id = t.event_id and l.ladder_class = t.ladder_class and l.tier_rank = t.feeds_rank
left join bumpins as bi on bi.race_id = t.race_id
left join bumpouts as bo on bo.race_id = t.race_id
