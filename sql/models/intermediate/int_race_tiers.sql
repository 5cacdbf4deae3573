-- int_race_tiers: each race's rung on its class's main ladder (the bump-up ladder).
-- grain: one row per race
-- unique: race_id
--
-- Columns: race_id, event_id, track_slug, class_name (as published), ladder_class (the class whose
-- ladder the race belongs to), ladder_class_rule (own class | label | schedule), race_name, label
-- (race name minus class name, lower case), tier_kind (main | main_leg | final | semi | bracket |
-- lcq | heat | qualifying | unrecognised), tier_letter, leg, bracket_size (8 for "1/8 Final"),
-- bracket_side (odd | even | upper | lower, or the branch letter of a semi: a | b), tier_rank (1 =
-- top of the ladder; LCQ = 100, below every main), tier_label ("A-Main", "LCQ", "Semi", "1/8
-- Final", "Main"), feeds_rank (the rank its top finishers bump into; NULL at the top), skips_tier
-- (a lettered main whose next higher letter is not listed), label_parts (the parts of the label
-- that were read, e.g. "round final, fraction 1/8, half odd"), is_placeholder, tier_reason (why a
-- race has no tier, with the parts read; NULL when it has one), run_order, completed_local,
-- length_seconds, result_rows, has_results.
--
-- Label rules. The label is the race name minus its class name ("Junior A-Main" of class "Junior"
-- reads "a-main"; event-486677.html labels mains "1/8 Nitro Buggy A-Main"). Each part is read on
-- its own, so its place in the label does not matter ("1/8 Final Odd", "Buggy 1/8 Odd Final",
-- "1/16 Even Final", "Semi A (Even)" read alike): fraction (1/k), half or branch (odd, even, upper,
-- lower, a letter or number after semi/final), round words (final, semi, quarter, main, LCQ / last
-- chance), letter and leg (A-Main, A1/A2/A3), and whatever prefix or class name is left around them.
-- First match wins:
-- * "(Heat k/n)", heat: not on the ladder;
-- * practice, warm-up: not on the ladder, whatever main-like word the label also has ("A Main
--   Practice", "Semi A (Even) Practice" are practice runs);
-- * LCQ / Last Chance (in the race name or the class: class "Last Chance" with race "Last Chance
--   Qualifier" is an LCQ): it feeds the TOP main of its ladder and sorts below every main (rank 100);
-- * Q<n>, qualifier, qualifying, seeding, time trial: not on the ladder;
-- * semi (Semi A, Semi 1, Semi-Final): rank 2, the 1/2 final;  quarter: the 1/4 final;
-- * a fraction 1/k with the word final (k = 1, 2, 4, ... 64): bracket finals; rank = log2(k) + 1,
--   so 1/1 is the top and 1/8 feeds 1/4. A fraction without "final" is a class prefix;
-- * "A1-Main" .. "Z9-Main", "A-Main 2": legs of a double/triple main; every leg shares its letter's tier;
-- * "A-Main" .. "Z-Main" (also "A Main", "A-Final", "Main B"): rank = the letter's place in the alphabet;
-- * a label that is just "Main" or "Final": the top (rank 1) of a ladder without letters;
-- * anything else: no tier, tier_reason "unrecognised label ..." with the parts read (never a guess).
-- Sibling halves (odd and even, Semi A and Semi B) share a rank, so they are never a step.
-- Missing letters: a main feeds the next HIGHER tier listed for its class (C feeds A when no
-- B-Main is listed), flagged skips_tier so the detection lowers its confidence.
--
-- Placeholders: a published class with no stored results at an event whose other classes have
-- results (a lunch break or track-maintenance slot listed as "A-Main") gets no rank and never takes
-- part in a ladder; mart_bumpup_skipped_races lists it.
--
-- LCQ attachment (some events publish the LCQ under its own class name, e.g. class "LCQ"):
-- 1. own class: the LCQ's class has mains at this event;
-- 2. label: else the longest class with mains at this event whose name appears in the LCQ's race
--    name or class name ("1/8 Nitro Buggy LCQ" published under class "LCQ");
-- 3. schedule: else a class whose top main runs after the LCQ AND starts the LCQ's finishers at the
--    back of its grid, the worst LCQ position among them being at most their count + 1 (back-of-grid
--    evidence: without it a break or another class's main would take the LCQ); of several, the one
--    with the most LCQ drivers, then the first to run;
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
        end, '\s+', ' ', 'g'))) as label,
        -- what the LCQ words are read from: the whole race name and the published class
        -- (class "Last Chance", race "Last Chance Qualifier" leaves the label "qualifier")
        regexp_replace(lower(coalesce(race_name, '') || ' | ' || coalesce(class_name, '')),
                       'last[ -]?chance( qualifi[a-z]*)?', ' lcq ', 'g') as lcq_text
    from stg_races
),

result_counts as (
    select race_id, count(*) as result_rows
    from stg_race_results
    group by race_id
),

-- placeholders: a published class with no stored results at an event whose other classes have
-- results (a lunch slot or track-maintenance break listed as a race)
class_rows as (
    select r.event_id, r.class_name, sum(coalesce(rc.result_rows, 0)) as class_result_rows
    from races as r
    left join result_counts as rc using (race_id)
    group by r.event_id, r.class_name
),

event_rows as (
    select event_id, sum(class_result_rows) as event_result_rows
    from class_rows
    group by event_id
),

words as (
    select
        races.*,
        regexp_replace(label, 'last[ -]?chance( qualifi[a-z]*)?', ' lcq ', 'g') as label_w,
        coalesce(cr.class_result_rows = 0 and er.event_result_rows > 0, false) as is_placeholder
    from races
    left join class_rows as cr on cr.event_id = races.event_id and cr.class_name is not distinct from races.class_name
    left join event_rows as er on er.event_id = races.event_id
),

-- the label's parts, each read on its own so their order does not matter
label_read as (
    select
        words.*,
        regexp_matches(label_w, '\(\s*heat\s*[0-9]+\s*/\s*[0-9]+\s*\)|^heat\s*[0-9]+') as w_heat,
        regexp_matches(label_w, '\bpractice\b|\bwarm[ -]?ups?\b|\bpractise\b') as w_practice,
        regexp_matches(label_w, '\bq[1-9][0-9]?\b|\bqualif|\bqual\b|\bseeding\b|\btime trial') as w_qualifying,
        regexp_matches(lcq_text, '\blcq\b') as w_lcq,
        regexp_matches(label_w, '\bsemi') as w_semi,
        regexp_matches(label_w, '\bquarter') as w_quarter,
        regexp_matches(label_w, '\bfinals?\b') as w_final,
        regexp_matches(label_w, '\bmains?\b') as w_main,
        try_cast(nullif(list_last(regexp_extract_all(label_w, '(^|[^0-9/.])1\s*/\s*([0-9]+)', 2)), '') as integer)
            as fraction,
        nullif(regexp_extract(label_w, '\b(odd|even|upper|lower)\b', 1), '') as half,
        -- a branch letter or number after the round word ("Semi A (Even)", "Semi 2", "1/8 Final B")
        nullif(regexp_extract(label_w, '\b(semi(-| )?(finals?)?|quarter(-| )?(finals?)?|finals?)\s*-?\s*\(?([a-z1-9])\)?(\s|$|\))', 6), '')
            as branch,
        -- a lettered main: "A-Main", "A Main", "A-Final", "B3-Main" (the letter before the round word)
        nullif(regexp_extract(label_w, '\b([a-z])[1-9]?\s*-?\s*(main|final)\b', 1), '') as letter_before,
        nullif(regexp_extract(label_w, '\bmain\s*-?\s*([a-z])(\s|$)', 1), '') as letter_after,
        try_cast(coalesce(
            nullif(regexp_extract(label_w, '\b[a-z]([1-9])\s*-?\s*main\b', 1), ''),
            nullif(regexp_extract(label_w, '\b[a-z]\s*-?\s*main\s*(leg\s*)?([1-9])\b', 2), '')
        ) as integer) as leg_read
    from words
),

parsed as (
    select
        *,
        case
            when w_heat then 'heat'
            -- practice and warm-up words win over every main-like word ("A Main Practice")
            when w_practice then 'qualifying'
            when w_lcq then 'lcq'
            when w_qualifying then 'qualifying'
            when w_semi then 'semi'
            when w_quarter then 'bracket'
            -- a fraction is a bracket only when the label also says "final" ("1/8 Nitro Buggy A-Main"
            -- is a class prefix, not a bracket)
            when fraction is not null and w_final and letter_before is null then 'bracket'
            when leg_read is not null then 'main_leg'
            when coalesce(letter_before, letter_after) is not null then 'main'
            when regexp_matches(label_w, '^(the )?(a )?(mains?|finals?|grand finals?|feature)$') then 'final'
            else 'unrecognised'
        end as tier_kind
    from label_read
),

read_parts as (
    select
        *,
        coalesce(letter_before, letter_after) as letter_raw,
        case when tier_kind = 'main_leg' then leg_read end as leg,
        case when tier_kind = 'bracket' then case when w_quarter then 4 else fraction end end as bracket_size,
        coalesce(half, case when tier_kind in ('semi', 'bracket') then branch end) as bracket_side,
        nullif(concat_ws(', ',
            case when w_heat then 'heat' end,
            case when w_practice then 'practice word' end,
            case when w_qualifying then 'qualifying word' end,
            case when w_lcq then 'round lcq' end,
            case when w_semi then 'round semi' end,
            case when w_quarter then 'round quarter' end,
            case when w_final then 'round final' end,
            case when w_main then 'round main' end,
            case when fraction is not null then 'fraction 1/' || fraction end,
            case when half is not null then 'half ' || half end,
            case when branch is not null then 'branch ' || branch end,
            case when coalesce(letter_before, letter_after) is not null
                 then 'letter ' || upper(coalesce(letter_before, letter_after)) end,
            case when leg_read is not null then 'leg ' || leg_read end,
            case when is_placeholder then 'placeholder class' end
        ), '') as label_parts
    from parsed
),

ranked as (
    select
        *,
        case when tier_kind in ('main', 'main_leg') then upper(letter_raw) end as tier_letter,
        case
            when is_placeholder then null
            when tier_kind in ('main', 'main_leg') then ascii(letter_raw) - 96
            when tier_kind = 'final' then 1
            when tier_kind = 'bracket' and bracket_size in (1, 2, 4, 8, 16, 32, 64)
                then cast(round(log2(bracket_size)) as integer) + 1
            when tier_kind = 'semi' then 2
            when tier_kind = 'lcq' then 100
        end as own_rank
    from read_parts
),

-- classes with a main ladder at each event (what an LCQ can attach to); placeholders have no rank
ladder_classes as (
    select event_id, class_name, min(own_rank) as top_rank
    from ranked
    where tier_kind in ('main', 'main_leg', 'final', 'bracket', 'semi') and own_rank is not null
    group by event_id, class_name
),

top_mains as (
    select
        r.event_id, r.class_name,
        min(r.run_order) as first_top_run,
        arg_min(r.race_id, r.run_order) as top_race_id
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
    where l.tier_kind = 'lcq' and l.own_rank is not null
    group by l.race_id
),

-- schedule attachment needs back-of-grid evidence: the LCQ's drivers found in a later top main
-- start at the back of its grid, and the worst LCQ position among them is at most their count + 1
-- (one ahead may not have started the main)
lcq_candidates as (
    select l.race_id, t.class_name, t.first_top_run, t.top_race_id
    from ranked as l
    join top_mains as t on t.event_id = l.event_id and t.first_top_run > l.run_order
    where l.tier_kind = 'lcq' and l.own_rank is not null
),

top_fields as (
    select race_id as top_race_id, count(*) as field_size
    from stg_race_results
    group by race_id
),

lcq_shared as (
    select
        c.race_id, c.class_name, c.first_top_run, c.top_race_id,
        lr.finish_position as lcq_position,
        coalesce(tr.grid_position, tr.qual_position) as start_slot
    from lcq_candidates as c
    join stg_race_results as lr on lr.race_id = c.race_id
    join stg_race_results as tr on tr.race_id = c.top_race_id and tr.driver_id = lr.driver_id
),

lcq_evidence as (
    select s.race_id, s.class_name, min(s.first_top_run) as first_top_run, count(*) as shared
    from lcq_shared as s
    join top_fields as f using (top_race_id)
    group by s.race_id, s.class_name
    having max(s.lcq_position) <= count(*) + 1
       and count(s.start_slot) = count(*)
       and min(s.start_slot) > min(f.field_size) - count(*)
),

-- the most LCQ drivers at the back of its grid, then the first to run (a driver entered in two
-- classes can sit at the back of another class's main too)
lcq_by_schedule as (
    select race_id, arg_max(class_name, shared * 1000000 - first_top_run) as class_name
    from lcq_evidence
    group by race_id
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
            -- sibling halves (odd/even, Semi A/Semi B) share a rank, so they never feed each other
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
    f.label_parts,
    f.is_placeholder,
    case
        when f.tier_rank is not null then null
        when f.is_placeholder
            then 'placeholder: class ''' || coalesce(f.class_name, '') || ''' has no stored results at this event while '
                 || 'other classes do; not part of any ladder'
        when f.tier_kind = 'heat' then 'qualifier heat: not part of the main ladder'
        when f.tier_kind = 'qualifying' and (f.w_main or f.w_final or f.w_semi or f.w_quarter or f.w_lcq)
            then 'qualifying/seeding/practice label: not part of the main ladder (the practice or qualifying word wins over '
                 || coalesce(f.label_parts, '') || ')'
        when f.tier_kind = 'qualifying' then 'qualifying/seeding/practice label: not part of the main ladder'
        when f.tier_kind = 'bracket' then 'bracket final 1/' || f.bracket_size || ' is not a power of two'
        when f.tier_kind = 'lcq' then 'LCQ attached to no class: no class with mains at this event matches its label, '
            || 'and no top main after it starts the LCQ''s finishers at the back of its grid'
        else 'unrecognised label ''' || f.label || ''': no tier given'
             || coalesce(' (read: ' || f.label_parts || ')', ' (no ladder part read)')
    end as tier_reason,
    f.run_order,
    f.completed_local,
    f.length_seconds,
    coalesce(rc.result_rows, 0) as result_rows,
    coalesce(rc.result_rows, 0) > 0 as has_results
from with_feeds as f
left join result_counts as rc using (race_id)
