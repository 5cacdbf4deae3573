-- int_bumpups_detected: every bump-up the results show, with the checks it passed and failed.
-- grain: one row per target race and bumped driver
-- unique: target_race_id, driver_id
--
-- A bump-up: a driver who runs a race of one tier (int_race_tiers) and then a race of the tier it
-- feeds (feeds_rank), in the same event and ladder class. One row per step, so a C -> B -> A
-- driver has two rows (event-486677.html: LINDSAY FROST's B-Main grid slot 10 is a C-Main
-- bump-up and he then starts the A-Main 9th). Drivers who start a main without running the tier
-- below are direct qualifiers and get no row. Double/triple mains: the target is the FIRST leg
-- of its tier the driver appears in (the later legs keep the grid), and the source is the last
-- leg of the source tier that ran before it.
--
-- kind: lcq when the source is an LCQ, else advance.
-- target_start_position: the lap-0 grid slot, else the Qual column (a DNS driver has no lap 0:
-- race-6304829.html RILEY LANDER has Qual 11 and no grid entry).
--
-- Checks (each passed, failed or not evaluated; not evaluated counts as "not verified"):
-- * source_before_target: the page only gives completion times, so the source must have
--   completed no later than the target's completion minus the target's length (its start);
--   without a length, strictly before the target's completion. Failing this gives LOW.
-- * top_finishers: the driver's source position is within the N drivers who advanced from that
--   source (N counted per source race).
-- * no_skipped_finisher: no driver who started the source ahead of this driver stayed behind.
-- * back_of_grid: the target grid puts the bump-ups behind its direct qualifiers (start slot >
--   field size - number bumped into the target).
-- * sources_complete: every race feeding the target's tier has stored results (a missing page
--   hides bump-ups and shifts the counts above).
-- * ladder_complete: the source does not skip a listed letter (C feeding A with no B-Main).
-- confidence: low when source_before_target failed; medium when any other check failed or any
-- check could not be evaluated; else high.

with tiers as (
    select * from int_race_tiers where tier_rank is not null
),

results as (
    select race_id, driver_id, finish_position, qual_position, grid_position, result_status, printed_driver_name
    from stg_race_results
),

appearances as (
    select
        t.race_id, t.event_id, t.track_slug, t.ladder_class, t.race_name, t.tier_kind, t.tier_rank,
        t.tier_label, t.feeds_rank, t.skips_tier, t.leg, t.run_order, t.completed_local, t.length_seconds,
        r.driver_id, r.finish_position, r.qual_position, r.grid_position, r.result_status, r.printed_driver_name
    from tiers as t
    join results as r using (race_id)
),

pairs as (
    select
        s.event_id, s.track_slug, s.ladder_class, s.driver_id,
        s.race_id as source_race_id, s.race_name as source_race_name, s.tier_kind as source_tier_kind,
        s.tier_label as source_tier_label, s.tier_rank as source_tier_rank, s.skips_tier as source_skips_tier,
        s.finish_position as source_finish_position, s.result_status as source_status,
        s.completed_local as source_completed_local, s.run_order as source_run_order,
        t.race_id as target_race_id, t.race_name as target_race_name, t.tier_label as target_tier_label,
        t.tier_rank as target_tier_rank, t.leg as target_leg,
        t.completed_local as target_completed_local, t.length_seconds as target_length_seconds,
        t.run_order as target_run_order,
        t.qual_position as target_qual_position, t.grid_position as target_grid_position,
        coalesce(t.grid_position, t.qual_position) as target_start_position,
        t.finish_position as target_finish_position, t.result_status as target_status,
        coalesce(t.printed_driver_name, s.printed_driver_name) as printed_driver_name
    from appearances as s
    join appearances as t
        on t.event_id = s.event_id
        and t.ladder_class = s.ladder_class
        and t.driver_id = s.driver_id
        and t.tier_rank = s.feeds_rank
),

-- first leg of the target tier per driver and source tier
first_target as (
    select *
    from pairs
    qualify row_number() over (
        partition by event_id, ladder_class, driver_id, source_race_id
        order by target_leg nulls first, target_run_order
    ) = 1
),

-- one source per target and driver: the last one run before the target (else the last one)
detected as (
    select *
    from first_target
    qualify row_number() over (
        partition by target_race_id, driver_id
        order by (source_run_order < target_run_order) desc, source_run_order desc, source_race_id
    ) = 1
),

source_field as (
    select race_id as source_race_id, driver_id, finish_position, result_status
    from results
),

target_field as (
    select race_id as target_race_id, count(*) as target_field_size
    from results
    group by race_id
),

-- every race feeding a tier, and whether its results are stored
feeders as (
    select t.event_id, t.ladder_class, t.feeds_rank, t.race_id, t.race_name, t.has_results
    from int_race_tiers as t
    where t.tier_rank is not null and t.feeds_rank is not null
),

missing_feeders as (
    select
        event_id, ladder_class, feeds_rank,
        string_agg(race_name || ' (race ' || race_id || ')', ', ' order by race_id) as missing_races
    from feeders
    where not has_results
    group by event_id, ladder_class, feeds_rank
),

counted as (
    select
        d.*,
        count(*) over (partition by d.source_race_id) as advanced_from_source,
        count(*) over (partition by d.target_race_id) as bumped_into_target,
        tf.target_field_size,
        (
            select count(*) from source_field as sf
            where sf.source_race_id = d.source_race_id
              and sf.finish_position < d.source_finish_position
              and coalesce(sf.result_status, '') <> 'did_not_start'
        ) as starters_ahead,
        mf.missing_races
    from detected as d
    left join target_field as tf using (target_race_id)
    left join missing_feeders as mf
        on mf.event_id = d.event_id and mf.ladder_class = d.ladder_class and mf.feeds_rank = d.target_tier_rank
),

advanced_ahead as (
    select
        *,
        count(*) over (
            partition by source_race_id order by source_finish_position
            rows between unbounded preceding and 1 preceding
        ) as advanced_ahead
    from counted
),

checked as (
    select
        *,
        case
            when source_completed_local is null or target_completed_local is null then null
            when target_length_seconds is not null
                then source_completed_local <= target_completed_local - to_seconds(target_length_seconds)
            else source_completed_local < target_completed_local
        end as check_source_before_target,
        case when source_finish_position is null then null
             else source_finish_position <= advanced_from_source end as check_top_finishers,
        case when source_finish_position is null then null
             else starters_ahead <= advanced_ahead end as check_no_skipped_finisher,
        case when target_start_position is null or target_field_size is null then null
             else target_start_position > target_field_size - bumped_into_target end as check_back_of_grid,
        missing_races is null as check_sources_complete,
        not source_skips_tier as check_ladder_complete
    from advanced_ahead
),

judged as (
    select
        *,
        list_sort(list_distinct([
            case when check_source_before_target then 'source_before_target' end,
            case when check_top_finishers then 'top_finishers' end,
            case when check_no_skipped_finisher then 'no_skipped_finisher' end,
            case when check_back_of_grid then 'back_of_grid' end,
            case when check_sources_complete then 'sources_complete' end,
            case when check_ladder_complete then 'ladder_complete' end
        ])) as checks_passed,
        list_sort(list_distinct([
            case when not check_source_before_target then 'source_before_target' end,
            case when not check_top_finishers then 'top_finishers' end,
            case when not check_no_skipped_finisher then 'no_skipped_finisher' end,
            case when not check_back_of_grid then 'back_of_grid' end,
            case when not check_sources_complete then 'sources_complete' end,
            case when not check_ladder_complete then 'ladder_complete' end
        ])) as checks_failed,
        list_sort(list_distinct([
            case when check_source_before_target is null
                then 'source_before_target not verified: a completion time is missing' end,
            case when not check_source_before_target
                then 'the source completed at ' || strftime(source_completed_local, '%H:%M')
                     || ', after the target started (completed ' || strftime(target_completed_local, '%H:%M')
                     || coalesce(', length ' || target_length_seconds || ' s', '') || ')' end,
            case when check_top_finishers is null then 'top_finishers not verified: no source position' end,
            case when not check_top_finishers
                then 'advanced from ' || source_finish_position || ' but only ' || advanced_from_source
                     || ' driver(s) advanced from the ' || source_tier_label end,
            case when not check_no_skipped_finisher
                then (starters_ahead - advanced_ahead) || ' starter(s) ahead of this driver in the '
                     || source_tier_label || ' did not advance' end,
            case when check_back_of_grid is null then 'back_of_grid not verified: no grid slot in the target' end,
            case when not check_back_of_grid
                then 'starts ' || target_start_position || ' of ' || target_field_size
                     || ': not behind the ' || (target_field_size - bumped_into_target) || ' direct qualifiers' end,
            case when not check_sources_complete
                then 'results not stored for ' || missing_races || ', which also feeds the ' || target_tier_label end,
            case when not check_ladder_complete
                then 'the ladder skips a tier: ' || source_tier_label || ' feeds the ' || target_tier_label end
        ])) as check_notes
    from checked
)

select
    event_id,
    track_slug,
    ladder_class as class_name,
    source_race_id,
    source_race_name,
    source_tier_label,
    source_tier_rank,
    target_race_id,
    target_race_name,
    target_tier_label,
    target_tier_rank,
    driver_id,
    printed_driver_name,
    case when source_tier_kind = 'lcq' then 'lcq' else 'advance' end as bumpup_kind,
    source_finish_position,
    source_status,
    target_qual_position,
    target_grid_position,
    target_start_position,
    target_finish_position,
    target_status,
    target_field_size,
    advanced_from_source,
    bumped_into_target,
    case
        when check_source_before_target = false then 'low'
        when len(checks_failed) > 0 or len(check_notes) > 0 then 'medium'
        else 'high'
    end as confidence,
    checks_passed,
    checks_failed,
    check_notes
from judged
