-- mart_multi_main_standings: each multi-main class standing recomputed from its legs (FIELD-GUIDE §11.6),
-- next to the standing LiveRC published.
-- grain: one row per multi-main page and driver
-- unique: multi_main_id, name_key
--
-- Scoring: leg points = place in the leg (lower is better). How many legs count depends on how many
-- legs the *class* completed (IFMAR reduced finals; not per driver, so a driver who sat out A3 after
-- winning A1 and A2 is scored like everyone else and is not a DNF): 3+ -> best 2, 2 -> best 1 (the
-- other breaks ties), 1 -> that leg, 0 -> seeded order. A driver's legs are ordered (points, more
-- laps, less time, leg number); "first" and "second" are the first two.
--   IFMAR: points, first's place, first's laps and time, second's place, laps and time, seeded.
--   ROAR:  points, first's place, the faster counted run (most laps in the least time), seeded.
-- The rule: mre.multi_main_scoring_rules for the event (people's override), else the rule the page
-- prints when it names IFMAR or ROAR, else IFMAR.
with pages as (
    select * from stg_multi_main_results
),

drivers as (
    select * from stg_multi_main_rows
),

legs as (
    select * from stg_multi_main_legs
),

overrides as (
    select * from stg_multi_main_scoring_rules
),

page_rules as (
    select
        p.*,
        case
            when upper(p.published_rule) like '%ROAR%' and upper(p.published_rule) not like '%IFMAR%' then 'ROAR'
            when upper(p.published_rule) like '%IFMAR%' and upper(p.published_rule) not like '%ROAR%' then 'IFMAR'
        end as printed_rule
    from pages as p
),

scoring as (
    select
        p.*,
        coalesce(o.scoring_rule, p.printed_rule, 'IFMAR') as scoring_rule,
        case when o.scoring_rule is not null then 'override' when p.printed_rule is not null then 'page'
             else 'default' end as scoring_rule_source,
        coalesce(p.legs_completed_printed, (
            select max(l.leg_number) from legs as l where l.multi_main_id = p.multi_main_id and l.leg_place is not null
        ), 0) as legs_completed
    from page_rules as p
    left join overrides as o on o.event_id = p.event_id
),

legs_ordered as (
    select
        l.*,
        s.legs_completed,
        case when s.legs_completed >= 3 then 2 when s.legs_completed >= 1 then 1 else 0 end as legs_counted,
        case when coalesce(l.laps, 0) > 0 and l.total_time_seconds is not null then l.total_time_seconds
             else cast('infinity' as double) end as time_key,
        row_number() over (
            partition by l.multi_main_id, l.name_key
            order by l.leg_points nulls last, coalesce(l.laps, 0) desc,
                case when coalesce(l.laps, 0) > 0 and l.total_time_seconds is not null then l.total_time_seconds
                     else cast('infinity' as double) end,
                l.leg_number
        ) as leg_rank
    from legs as l
    inner join scoring as s on s.multi_main_id = l.multi_main_id
    where l.leg_number <= s.legs_completed and l.leg_place is not null
),

legs_fastest as (
    select
        *,
        row_number() over (
            partition by multi_main_id, name_key
            order by (leg_rank <= legs_counted) desc, coalesce(laps, 0) desc, time_key, leg_number
        ) as fast_rank
    from legs_ordered
),

per_driver as (
    select
        multi_main_id,
        name_key,
        sum(leg_points) filter (where leg_rank <= legs_counted) as computed_points,
        max(leg_points) filter (where leg_rank = 1) as first_points,
        max(coalesce(laps, 0)) filter (where leg_rank = 1) as first_laps,
        max(time_key) filter (where leg_rank = 1) as first_time,
        max(leg_points) filter (where leg_rank = 2) as second_points,
        max(coalesce(laps, 0)) filter (where leg_rank = 2) as second_laps,
        max(time_key) filter (where leg_rank = 2) as second_time,
        max(coalesce(laps, 0)) filter (where fast_rank = 1) as fastest_laps,
        max(time_key) filter (where fast_rank = 1) as fastest_time,
        count(*) filter (where leg_rank <= legs_counted) as legs_scored
    from legs_fastest
    group by multi_main_id, name_key
),

leg_summary as (
    select
        multi_main_id,
        name_key,
        count(*) filter (where not sat_out and leg_place is not null) as legs_run,
        count(*) filter (where sat_out and leg_place is not null) as legs_sat_out,
        min(leg_place) filter (where not sat_out) as best_leg_place,
        string_agg(leg_label, ',' order by leg_number) filter (where sat_out and leg_place is not null)
            as sat_out_legs
    from legs
    group by multi_main_id, name_key
),

combined as (
    select
        s.multi_main_id, s.event_id, s.track_slug, s.class_name, s.class_key, s.main_letter, s.main_format,
        s.published_rule, s.scoring_rule, s.scoring_rule_source, s.legs_completed, s.legs_scheduled,
        case when s.legs_completed >= 3 then 2 when s.legs_completed >= 1 then 1 else 0 end as legs_counted,
        d.name_key, d.driver_name, d.seeded_position, d.published_position, d.published_points,
        p.computed_points, p.first_points, p.first_laps, p.first_time, p.second_points, p.second_laps,
        p.second_time, p.fastest_laps, p.fastest_time,
        coalesce(ls.legs_run, 0) as legs_run, coalesce(ls.legs_sat_out, 0) as legs_sat_out,
        ls.best_leg_place, ls.sat_out_legs
    from drivers as d
    inner join scoring as s on s.multi_main_id = d.multi_main_id
    left join per_driver as p on p.multi_main_id = d.multi_main_id and p.name_key = d.name_key
    left join leg_summary as ls on ls.multi_main_id = d.multi_main_id and ls.name_key = d.name_key
),

ranked as (
    select
        *,
        row_number() over (
            partition by multi_main_id
            order by
                case when legs_completed = 0 or computed_points is null then 1 else 0 end,
                computed_points,
                first_points,
                case when scoring_rule = 'ROAR' then 0 else -first_laps end,
                case when scoring_rule = 'ROAR' then 0 else first_time end,
                case when scoring_rule = 'ROAR' then 0 else coalesce(second_points, 2147483647) end,
                case when scoring_rule = 'ROAR' then 0 else -coalesce(second_laps, 0) end,
                case when scoring_rule = 'ROAR' then 0 else coalesce(second_time, cast('infinity' as double)) end,
                case when scoring_rule = 'ROAR' then -fastest_laps else 0 end,
                case when scoring_rule = 'ROAR' then fastest_time else 0 end,
                seeded_position nulls last,
                name_key
        ) as computed_position,
        count(*) over (partition by multi_main_id, computed_points) > 1 and computed_points is not null
            as tied_on_points
    from combined
)

select
    multi_main_id,
    event_id,
    track_slug,
    class_name,
    class_key,
    main_letter,
    main_format,
    scoring_rule,
    scoring_rule_source,
    published_rule,
    legs_completed,
    legs_scheduled,
    legs_counted,
    name_key,
    driver_name,
    seeded_position,
    computed_position,
    computed_points,
    published_position,
    published_points,
    tied_on_points,
    legs_run,
    legs_sat_out,
    sat_out_legs,
    best_leg_place,
    -- sat a leg out having already won the counted legs (A1 and A2 won, A3 not run): legal, not a DNF
    legs_sat_out > 0 and computed_points = legs_counted and legs_counted > 0 as clinched_before_sitting_out
from ranked
