-- mart_bumpups: the bump-up relationship table: who advanced from which main into which, and how sure we are.
-- grain: one row per target race and bumped driver
-- unique: target_race_id, driver_id
--
-- Detected rows (int_bumpups_detected) with the people's corrections applied (newest row of
-- mre.bumpup_corrections per target race and driver): 'suppress' removes a row, 'add' keeps or
-- creates it with confidence 'curated' (an added row the results do not show gets its positions
-- from whatever results are stored), 'clear' withdraws the correction.
-- Before a main's results are stored, its heat-sheet grid (mart_lineup_bumpups, evidence 'grid, no
-- results yet') gives its bump-ups, at medium confidence; once results exist they alone decide, and a
-- grid the results contradict (a sheet rebuilt after the race ran) never adds a row. When only the
-- first leg of a double/triple main lacks results, its grid row stands and the detection's row into
-- the later leg (the first one with results) is dropped: one row per bump-up.
-- Columns: event_id, track_slug, event_name, event_date, class_name (the ladder class),
-- source_race_id, source_race_name, source_tier_label, target_race_id, target_race_name,
-- target_tier_label, driver_id, driver_name (as printed on the race page), bumpup_kind
-- (advance | lcq), source_finish_position, source_status, target_qual_position,
-- target_grid_position, target_start_position, target_finish_position, target_status (finished |
-- stopped_early | did_not_start), target_field_size, step_in_event (1 for a driver's first bump-up
-- at the event, 2 for the next step of a chain ...), confidence (high | medium | low | curated),
-- detected_confidence, checks_passed, checks_failed, check_notes, correction (added | confirmed |
-- NULL), correction_reason, correction_set_by, correction_set_at.

with detected as (
    select * from int_bumpups_detected
),

latest_correction as (
    select *
    from stg_bumpup_corrections
    qualify row_number() over (
        partition by target_race_id, driver_id order by correction_set_at desc, correction_id desc
    ) = 1
),

active_correction as (
    select * from latest_correction where correction_action in ('add', 'suppress')
),

tiers as (
    select race_id, event_id, track_slug, ladder_class, race_name, tier_label, tier_rank, tier_kind
    from int_race_tiers
),

results as (
    select race_id, driver_id, finish_position, qual_position, grid_position, result_status, printed_driver_name
    from stg_race_results
),

field_sizes as (
    select race_id, count(*) as field_size from results group by race_id
),

added_only as (
    select
        c.event_id,
        coalesce(tt.track_slug, st.track_slug) as track_slug,
        coalesce(tt.ladder_class, st.ladder_class) as class_name,
        c.source_race_id,
        st.race_name as source_race_name,
        st.tier_label as source_tier_label,
        st.tier_rank as source_tier_rank,
        c.target_race_id,
        tt.race_name as target_race_name,
        tt.tier_label as target_tier_label,
        tt.tier_rank as target_tier_rank,
        c.driver_id,
        coalesce(tr.printed_driver_name, sr.printed_driver_name) as printed_driver_name,
        case when st.tier_kind = 'lcq' then 'lcq' else 'advance' end as bumpup_kind,
        sr.finish_position as source_finish_position,
        sr.result_status as source_status,
        tr.qual_position as target_qual_position,
        tr.grid_position as target_grid_position,
        coalesce(tr.grid_position, tr.qual_position) as target_start_position,
        tr.finish_position as target_finish_position,
        tr.result_status as target_status,
        fs.field_size as target_field_size,
        cast(null as varchar) as detected_confidence,
        cast([] as varchar[]) as checks_passed,
        cast([] as varchar[]) as checks_failed,
        ['added by a person; not detected from the results'] as check_notes
    from active_correction as c
    left join detected as d on d.target_race_id = c.target_race_id and d.driver_id = c.driver_id
    left join tiers as st on st.race_id = c.source_race_id
    left join tiers as tt on tt.race_id = c.target_race_id
    left join results as sr on sr.race_id = c.source_race_id and sr.driver_id = c.driver_id
    left join results as tr on tr.race_id = c.target_race_id and tr.driver_id = c.driver_id
    left join field_sizes as fs on fs.race_id = c.target_race_id
    where c.correction_action = 'add' and d.driver_id is null
),

kept as (
    select
        d.event_id, d.track_slug, d.class_name, d.source_race_id, d.source_race_name, d.source_tier_label,
        d.source_tier_rank, d.target_race_id, d.target_race_name, d.target_tier_label, d.target_tier_rank,
        d.driver_id, d.printed_driver_name, d.bumpup_kind, d.source_finish_position, d.source_status,
        d.target_qual_position, d.target_grid_position, d.target_start_position, d.target_finish_position,
        d.target_status, d.target_field_size, d.confidence as detected_confidence, d.checks_passed,
        d.checks_failed, d.check_notes
    from detected as d
    left join active_correction as c on c.target_race_id = d.target_race_id and c.driver_id = d.driver_id
    where c.correction_action is null or c.correction_action <> 'suppress'
),

grid_only as (
    select
        g.event_id,
        tt.track_slug,
        g.class_name,
        g.source_race_id,
        st.race_name as source_race_name,
        st.tier_label as source_tier_label,
        st.tier_rank as source_tier_rank,
        g.target_race_id,
        tt.race_name as target_race_name,
        tt.tier_label as target_tier_label,
        tt.tier_rank as target_tier_rank,
        g.driver_id,
        g.driver_name as printed_driver_name,
        case when st.tier_kind = 'lcq' then 'lcq' else 'advance' end as bumpup_kind,
        g.source_position as source_finish_position,
        sr.result_status as source_status,
        cast(null as integer) as target_qual_position,
        cast(g.grid_position as integer) as target_grid_position,
        cast(g.grid_position as integer) as target_start_position,
        cast(null as integer) as target_finish_position,
        cast(null as varchar) as target_status,
        cast(null as bigint) as target_field_size,
        'medium' as detected_confidence,
        ['heat_sheet_grid'] as checks_passed,
        cast([] as varchar[]) as checks_failed,
        ['from the heat sheet grid: the main has no stored results yet'] as check_notes
    from mart_lineup_bumpups as g
    join tiers as st on st.race_id = g.source_race_id
    join tiers as tt on tt.race_id = g.target_race_id
    left join results as sr on sr.race_id = g.source_race_id and sr.driver_id = g.driver_id
    left join active_correction as c on c.target_race_id = g.target_race_id and c.driver_id = g.driver_id
    where g.evidence = 'grid, no results yet' and g.is_bumpup and g.driver_id is not null
      and c.correction_action is null
    qualify row_number() over (partition by g.target_race_id, g.driver_id order by g.grid_position) = 1
),

-- a detected row whose target is a later leg of a tier whose earlier leg's grid already gives this
-- driver's bump-up: the earlier leg has no stored results (A1's page missing or failed), so the
-- results-only detection took A2 as the first leg the driver appears in. The grid names the true
-- target (the first leg); the later-leg row would be the same bump-up twice. A person's 'add' keeps it.
superseded_by_grid as (
    select distinct k.target_race_id, k.driver_id
    from kept as k
    join grid_only as g
        on g.event_id = k.event_id and g.class_name = k.class_name and g.driver_id = k.driver_id
        and g.target_tier_rank = k.target_tier_rank and g.target_race_id <> k.target_race_id
    join int_race_tiers as kt on kt.race_id = k.target_race_id
    join int_race_tiers as gt on gt.race_id = g.target_race_id
    left join active_correction as c on c.target_race_id = k.target_race_id and c.driver_id = k.driver_id
    where gt.run_order < kt.run_order and c.correction_action is null
),

combined as (
    select k.* from kept as k
    anti join superseded_by_grid as x on x.target_race_id = k.target_race_id and x.driver_id = k.driver_id
    union all by name
    select * from added_only
    union all by name
    select * from grid_only
),

events as (
    select event_id, event_name, date_start from stg_events where event_id is not null
),

drivers as (
    select driver_id, driver_name from stg_drivers
),

target_order as (
    select race_id, run_order from int_race_tiers
)

select
    b.event_id,
    b.track_slug,
    e.event_name,
    e.date_start as event_date,
    b.class_name,
    b.source_race_id,
    b.source_race_name,
    b.source_tier_label,
    b.source_tier_rank,
    b.target_race_id,
    b.target_race_name,
    b.target_tier_label,
    b.target_tier_rank,
    b.driver_id,
    coalesce(b.printed_driver_name, dr.driver_name) as driver_name,
    b.bumpup_kind,
    b.source_finish_position,
    b.source_status,
    b.target_qual_position,
    b.target_grid_position,
    b.target_start_position,
    b.target_finish_position,
    b.target_status,
    b.target_field_size,
    row_number() over (partition by b.event_id, b.class_name, b.driver_id order by o.run_order nulls last, b.target_race_id)
        as step_in_event,
    case when c.correction_action = 'add' then 'curated' else b.detected_confidence end as confidence,
    b.detected_confidence,
    b.checks_passed,
    b.checks_failed,
    b.check_notes,
    case when c.correction_action = 'add' and b.detected_confidence is null then 'added'
         when c.correction_action = 'add' then 'confirmed' end as correction,
    c.correction_reason,
    c.correction_set_by,
    c.correction_set_at
from combined as b
left join active_correction as c on c.target_race_id = b.target_race_id and c.driver_id = b.driver_id
left join events as e on e.event_id = b.event_id
left join drivers as dr on dr.driver_id = b.driver_id
left join target_order as o on o.race_id = b.target_race_id
