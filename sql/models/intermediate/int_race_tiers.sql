-- int_race_tiers: each race's rung on its class's main ladder (the bump-up ladder).
-- grain: one row per race
-- unique: race_id
--
-- Columns: race_id, event_id, track_slug, class_name (as published), ladder_class (the class whose
-- ladder the race belongs to), ladder_class_rule (own class | label | schedule), race_name, label
-- (race name minus class name, lower case), tier_kind (main | main_leg | final | semi | bracket |
-- lcq | heat | qualifying | unrecognised), tier_letter, leg, bracket_size (8 for "1/8 Final"),
-- bracket_side (odd | even), tier_rank (1 = top of the ladder; LCQ = 100, below every main),
-- tier_label ("A-Main", "LCQ", "Semi", "1/8 Final", "Main"), feeds_rank (the rank its top
-- finishers bump into; NULL at the top), skips_tier (a lettered main whose next higher letter is
-- not listed), tier_reason (why a race has no tier; NULL when it has one), run_order,
-- completed_local, length_seconds, result_rows, has_results.
--
-- Label rules (the label is the race name minus its class name, so "Junior A-Main" of class
-- "Junior" reads "a-main"; event-486677.html labels mains "1/8 Nitro Buggy A-Main"):
-- * "(Heat k/n)", Q<n>, qualifier, seeding, practice: not on the ladder (tier_reason says so);
-- * LCQ / Last Chance: an LCQ; it feeds the TOP main of its class (the usual rule: an LCQ's top
--   finishers go straight to the A-Main) and sorts below every main (rank 100);
-- * "1/k Final" (k = 1, 2, 4, ... 64) with optional Odd/Even: bracket finals; odd and even of one
--   size share a tier; rank = log2(k) + 1, so 1/1 is the top and 1/8 feeds 1/4;
-- * Semi (Semi A, Semi 1, Semi-Final): rank 2, feeding the top;
-- * "A1-Main" .. "Z9-Main": legs of a double/triple main; every leg shares its letter's tier;
-- * "A-Main" .. "Z-Main" (also "A Main", "A-Final"): rank = the letter's place in the alphabet;
-- * a label that is just "Main" or "Final": the top (rank 1) of a ladder without letters;
-- * anything else: no tier, tier_reason "unrecognised label ..." (never a guess).
-- Missing letters: a main feeds the next HIGHER tier listed for its class (C feeds A when no
-- B-Main is listed), flagged skips_tier so the detection lowers its confidence.
--
-- LCQ attachment (some events publish the LCQ under its own class name, e.g. class "LCQ"):
-- 1. own class: the LCQ's class has mains at this event;
-- 2. label: else the longest class with mains at this event whose name appears in the LCQ's race
--    name or class name ("1/8 Nitro Buggy LCQ" published under class "LCQ");
-- 3. schedule: else the class whose top main is the first top main to run after the LCQ;
-- else no tier, with the reason.
-- Run order: completion time first (the event page lists races newest first and race ids are not
-- in race order, event-486677.html), then the event page's schedule index, then race id.

with races as (
    select
        race_id,
        event_id,
        track_slug,
        class_name,
        race_name,
        completed_local,
        length_seconds,
        row_number() over (
            partition by event_id
            order by completed_local nulls last, schedule_index nulls last, race_id
        ) as run_order,
        lower(trim(regexp_replace(case
            when class_name is not null and lower(race_name) = lower(class_name) then ''
            when class_name is not null and starts_with(lower(race_name), lower(class_name) || ' ')
                then substr(race_name, length(class_name) + 2)
            else coalesce(race_name, '')
        end, '\s+', ' ', 'g'))) as label
    from stg_races
),

result_counts as (
    select race_id, count(*) as result_rows
    from stg_race_results
    group by race_id
),

parsed as (
    select
        races.*,
        case
            when regexp_matches(label, '\(\s*heat\s*[0-9]+\s*/\s*[0-9]+\s*\)|^heat\s*[0-9]+') then 'heat'
            -- an LCQ published under its own class ("LCQ", "Last Chance") says so in the class name
            when regexp_matches(label || ' | ' || lower(coalesce(class_name, '')), '\blcq\b|\blast[ -]chance\b') then 'lcq'
            when regexp_matches(label, '(^|\s)1\s*/\s*[0-9]+\s*-?\s*finals?\b') then 'bracket'
            when regexp_matches(label, '\bsemi') then 'semi'
            when regexp_matches(label, '\b[a-z][1-9]\s*-?\s*main\b') then 'main_leg'
            when regexp_matches(label, '\b[a-z]\s*-?\s*(main|final)\b') then 'main'
            when regexp_matches(label, '^(mains?|finals?)$') then 'final'
            when regexp_matches(label, '\bq[1-9][0-9]?\b|\bqualif|\bqual\b|\bseeding\b|\bpractice\b') then 'qualifying'
            else 'unrecognised'
        end as tier_kind,
        nullif(regexp_extract(label, '\b([a-z])[1-9]?\s*-?\s*(main|final)\b', 1), '') as letter_raw,
        try_cast(nullif(regexp_extract(label, '\b[a-z]([1-9])\s*-?\s*main\b', 1), '') as integer) as leg,
        try_cast(nullif(regexp_extract(label, '(^|\s)1\s*/\s*([0-9]+)\s*-?\s*finals?\b', 2), '') as integer) as bracket_size,
        nullif(regexp_extract(label, '\b(odd|even)\b', 1), '') as bracket_side
    from races
),

ranked as (
    select
        *,
        case when tier_kind in ('main', 'main_leg') then upper(letter_raw) end as tier_letter,
        case
            when tier_kind in ('main', 'main_leg') then ascii(letter_raw) - 96
            when tier_kind = 'final' then 1
            when tier_kind = 'bracket' and bracket_size in (1, 2, 4, 8, 16, 32, 64)
                then cast(round(log2(bracket_size)) as integer) + 1
            when tier_kind = 'semi' then 2
            when tier_kind = 'lcq' then 100
        end as own_rank
    from parsed
),

-- classes with a main ladder at each event (what an LCQ can attach to)
ladder_classes as (
    select event_id, class_name, min(own_rank) as top_rank
    from ranked
    where tier_kind in ('main', 'main_leg', 'final', 'bracket', 'semi') and own_rank is not null
    group by event_id, class_name
),

top_mains as (
    select r.event_id, r.class_name, min(r.run_order) as first_top_run
    from ranked as r
    join ladder_classes as c on c.event_id = r.event_id and c.class_name = r.class_name and r.own_rank = c.top_rank
    group by r.event_id, r.class_name
),

lcq_by_label as (
    select l.race_id, arg_max(c.class_name, length(c.class_name)) as class_name
    from ranked as l
    join ladder_classes as c
        on c.event_id = l.event_id
        and c.class_name <> coalesce(l.class_name, '')
        and contains(lower(coalesce(l.race_name, '') || ' | ' || coalesce(l.class_name, '')), lower(c.class_name))
    where l.tier_kind = 'lcq'
    group by l.race_id
),

lcq_by_schedule as (
    select l.race_id, arg_min(t.class_name, t.first_top_run) as class_name
    from ranked as l
    join top_mains as t on t.event_id = l.event_id and t.first_top_run > l.run_order
    where l.tier_kind = 'lcq'
    group by l.race_id
),

attached as (
    select
        r.*,
        case
            when r.tier_kind <> 'lcq' then r.class_name
            when own.class_name is not null then r.class_name
            when lbl.class_name is not null then lbl.class_name
            else sch.class_name
        end as ladder_class,
        case
            when r.tier_kind <> 'lcq' then 'own class'
            when own.class_name is not null then 'own class'
            when lbl.class_name is not null then 'label'
            when sch.class_name is not null then 'schedule'
        end as ladder_class_rule
    from ranked as r
    left join ladder_classes as own on r.tier_kind = 'lcq' and own.event_id = r.event_id and own.class_name = r.class_name
    left join lcq_by_label as lbl on lbl.race_id = r.race_id
    left join lcq_by_schedule as sch on sch.race_id = r.race_id
),

tiered as (
    select
        *,
        case
            when own_rank is null then null
            when tier_kind = 'lcq' and ladder_class_rule is null then null
            else own_rank
        end as tier_rank
    from attached
),

with_feeds as (
    select
        t.*,
        case
            when t.tier_rank is null then null
            when t.tier_kind = 'lcq' then (
                select min(u.tier_rank) from tiered as u
                where u.event_id = t.event_id and u.ladder_class = t.ladder_class and u.tier_kind <> 'lcq'
            )
            else (
                select max(u.tier_rank) from tiered as u
                where u.event_id = t.event_id and u.ladder_class = t.ladder_class and u.tier_kind <> 'lcq'
                  and u.tier_rank < t.tier_rank
            )
        end as feeds_rank
    from tiered as t
)

select
    f.race_id,
    f.event_id,
    f.track_slug,
    f.class_name,
    case when f.tier_rank is not null then f.ladder_class else f.class_name end as ladder_class,
    case when f.tier_rank is not null then f.ladder_class_rule end as ladder_class_rule,
    f.race_name,
    f.label,
    f.tier_kind,
    f.tier_letter,
    f.leg,
    f.bracket_size,
    f.bracket_side,
    f.tier_rank,
    case
        when f.tier_rank is null then null
        when f.tier_kind in ('main', 'main_leg') then f.tier_letter || '-Main'
        when f.tier_kind = 'final' then 'Main'
        when f.tier_kind = 'bracket' then '1/' || f.bracket_size || ' Final'
        when f.tier_kind = 'semi' then 'Semi'
        when f.tier_kind = 'lcq' then 'LCQ'
    end as tier_label,
    f.feeds_rank,
    coalesce(f.tier_kind in ('main', 'main_leg') and f.feeds_rank is not null and f.feeds_rank < f.tier_rank - 1, false)
        as skips_tier,
    case
        when f.tier_rank is not null then null
        when f.tier_kind = 'heat' then 'qualifier heat: not part of the main ladder'
        when f.tier_kind = 'qualifying' then 'qualifying/seeding/practice label: not part of the main ladder'
        when f.tier_kind = 'bracket' then 'bracket final 1/' || f.bracket_size || ' is not a power of two'
        when f.tier_kind = 'lcq' then 'LCQ attached to no class: no class with mains at this event matches its label or runs a top main after it'
        else 'unrecognised label ''' || f.label || ''': no tier given'
    end as tier_reason,
    f.run_order,
    f.completed_local,
    f.length_seconds,
    coalesce(rc.result_rows, 0) as result_rows,
    coalesce(rc.result_rows, 0) > 0 as has_results
from with_feeds as f
left join result_counts as rc using (race_id)
