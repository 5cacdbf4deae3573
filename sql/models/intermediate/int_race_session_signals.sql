-- int_race_session_signals: every piece of evidence about what kind of session a race was.
-- grain: one row per race and signal (only signals that recognised something)
-- unique: race_id, signal
--
-- signal    reads                                                     strength
-- section   the event page's section header (round_name)              strong
-- label     the race label: race_name minus its class name            strong
-- url       the race page URL; a /practice/ URL is a practice day     decisive
-- event     the race's event is a practice day (events.source)        decisive
-- schedule  order within event and class against the first main       weak
--
-- Columns: race_id, event_id, class_name, signal, strength, evidence (the text read),
-- supports (session types the signal is compatible with; the first is preferred),
-- session_kind (the finer kind it suggests), kind_rank (1 = most specific kind).
--
-- Why the rules look like this:
-- * Labels are matched on word boundaries, structural tokens first ("(Heat k/n)", LCQ, "A2-Main",
--   "A-Main"), so a sponsor word cannot outvote them: "Practice Makes Perfect Cup A-Main" is a main.
--   Plain words (qualifier, seeding, practice, final, semi) only count at the END of the label,
--   where LiveRC puts the session name; a "Q" must carry a number ("Q1") to be a qualifier, so
--   "Q" inside a word or a name never is.
-- * "(Heat k/n)" is how LiveRC names the races of any non-main round (event-486677.html prints
--   "1/8 Nitro Buggy  (Heat 3/3)" under "Qualifier Round 3"); practice rounds use it too, so a
--   heat label supports qualifying or practice and the section decides.
-- * Leg labels ("A1-Main" .. "A3-Main", event-486677.html) are triple legs when the event and
--   class show a leg 3 of that letter, else double legs.
-- * Schedule: heats run before mains and mains run after the first main (lower mains run first),
--   so "after the first main of its class" supports race and "before it" supports qualifying or
--   practice; a weak signal only lowers confidence, it never decides on its own.

with races as (
    select
        race_id,
        event_id,
        class_name,
        round_name,
        race_name,
        row_number() over (
            partition by event_id
            order by schedule_index nulls last, completed_local nulls last, race_id
        ) as run_order,
        lower(coalesce(round_name, '')) as section_text,
        -- the label without its class name ("Junior A-Main" of class "Junior" -> "a-main"), so
        -- words inside class names ("Q2 Buggy", "Mains Cup") never count as session tokens
        lower(trim(case
            when class_name is not null and lower(race_name) = lower(class_name) then ''
            when class_name is not null and starts_with(lower(race_name), lower(class_name) || ' ')
                then substr(race_name, length(class_name) + 2)
            else coalesce(race_name, '')
        end)) as label_text
    from stg_races
),

events as (
    select event_id, is_practice_day, event_name
    from stg_events
    where event_id is not null
),

race_pages as (
    select url_id as race_id, min(url) as url
    from stg_fetched_pages
    where page_type = 'race_result' and url_id is not null
    group by url_id
),

label_tokens as (
    select
        races.*,
        case
            when regexp_matches(label_text, '\(\s*heat\s*[0-9]+\s*/\s*[0-9]+\s*\)|^heat\s*[0-9]+') then 'heat'
            when regexp_matches(label_text, '\blcq\b') then 'lcq'
            when regexp_matches(label_text, '\b[a-z][1-9]\s*-?\s*main\b|\bmain\s+(leg\s+)?[1-9]\s*$') then 'main_leg'
            when regexp_matches(label_text, '(^|[\s(])([a-z]\s*-\s*|[a-z]\s+)?mains?\b') then 'main'
            when regexp_matches(label_text, '\blast[ -]chance\b') then 'lcq'
            when regexp_matches(label_text, '\bsemi[ -]?(finals?)?(\s+[a-z0-9]{1,2})?\s*$') then 'semi'
            when regexp_matches(label_text, '\bfinals?(\s+[a-z0-9]{1,2})?\s*$') then 'final'
            when regexp_matches(label_text, '\bq[1-9][0-9]?\b|\b(qualifier|qualifying|qual)(\s+(round\s+)?[0-9]+)?\s*$') then 'qualifier'
            when regexp_matches(label_text, '\bseeding(\s+(round\s+)?[0-9]+)?\s*$') then 'seeding'
            when regexp_matches(label_text, '\bpractice(\s+(round\s+)?[0-9]+)?\s*$') then 'practice'
        end as label_token,
        regexp_extract(label_text, '\b([a-z])[1-9]?\s*-?\s*main\b', 1) as main_letter,
        coalesce(
            try_cast(nullif(regexp_extract(label_text, '\b[a-z]([1-9])\s*-?\s*main\b', 1), '') as integer),
            try_cast(nullif(regexp_extract(label_text, '\bmain\s+(?:leg\s+)?([1-9])\s*$', 1), '') as integer)
        ) as main_leg
    from races
),

labels as (
    select
        *,
        max(main_leg) over (partition by event_id, class_name, main_letter) as legs_in_main,
        min(case when label_token in ('main', 'main_leg') then run_order end)
            over (partition by event_id, class_name) as first_main_order
    from label_tokens
),

section_signals as (
    select race_id, event_id, class_name, 'section' as signal, 'strong' as strength, round_name as evidence,
        case
            when regexp_matches(section_text, '\blcq\b|\blast[ -]chance\b') then ['race']
            when regexp_matches(section_text, '\bsemi') then ['race']
            when regexp_matches(section_text, '\bseeding\b') then ['qualifying']
            when regexp_matches(section_text, '\bpractice\b') then ['practice']
            when regexp_matches(section_text, '\bqualif|\bqual\b|\bheats?\b|\bq[1-9]') then ['qualifying']
            when regexp_matches(section_text, '\bmains?\b|\bfinals?\b') then ['race']
        end as supports,
        case
            when regexp_matches(section_text, '\blcq\b|\blast[ -]chance\b') then 'lcq'
            when regexp_matches(section_text, '\bsemi') then 'semi'
            when regexp_matches(section_text, '\bseeding\b') then 'seeding'
            when regexp_matches(section_text, '\bpractice\b') then 'practice'
            when regexp_matches(section_text, '\bqualif|\bqual\b|\bheats?\b|\bq[1-9]') then 'heat'
            when regexp_matches(section_text, '\bmains?\b') then 'main'
            when regexp_matches(section_text, '\bfinals?\b') then 'final'
        end as session_kind
    from races
),

label_signals as (
    select race_id, event_id, class_name, 'label' as signal, 'strong' as strength, race_name as evidence,
        case label_token
            when 'heat' then ['qualifying', 'practice']
            when 'qualifier' then ['qualifying']
            when 'seeding' then ['qualifying']
            when 'practice' then ['practice']
            else ['race']
        end as supports,
        case label_token
            when 'main_leg' then case when legs_in_main >= 3 then 'triple_main_leg' else 'double_main_leg' end
            when 'qualifier' then 'heat'
            else label_token
        end as session_kind
    from labels
    where label_token is not null
),

schedule_signals as (
    select race_id, event_id, class_name, 'schedule' as signal, 'weak' as strength,
        case when run_order > first_main_order then 'after the first main of its class'
             else 'before the first main of its class' end as evidence,
        case when run_order > first_main_order then ['race'] else ['qualifying', 'practice'] end as supports,
        case when run_order > first_main_order then 'main' end as session_kind
    from labels
    where first_main_order is not null
      and run_order <> first_main_order
      -- LCQs, semis and finals run between the heats and the mains: order says nothing about them
      and (run_order > first_main_order or coalesce(label_token, '') not in ('lcq', 'semi', 'final'))
),

url_signals as (
    select races.race_id, races.event_id, races.class_name, 'url' as signal, 'decisive' as strength,
        race_pages.url as evidence, ['practiceday'] as supports, 'practiceday' as session_kind
    from races
    join race_pages using (race_id)
    where race_pages.url like '%/practice/%'
),

event_signals as (
    select races.race_id, races.event_id, races.class_name, 'event' as signal, 'decisive' as strength,
        events.event_name as evidence, ['practiceday'] as supports, 'practiceday' as session_kind
    from races
    join events using (event_id)
    where events.is_practice_day
),

all_signals as (
    select * from section_signals where supports is not null
    union all by name
    select * from label_signals
    union all by name
    select * from schedule_signals
    union all by name
    select * from url_signals
    union all by name
    select * from event_signals
)

select
    race_id,
    event_id,
    class_name,
    signal,
    strength,
    evidence,
    supports,
    session_kind,
    case
        when session_kind = 'practiceday' then 0
        when session_kind in ('triple_main_leg', 'double_main_leg', 'lcq', 'semi', 'final') then 1
        when session_kind in ('seeding', 'practice') then 2
        when session_kind in ('main', 'heat') then 3
        else 4
    end as kind_rank
from all_signals
