-- mart_race_session_types: what kind of session each race was, how sure we are, and why.
-- grain: one row per race (race-event races and practice-day sessions alike)
-- unique: race_key
--
-- race_key     'race-<race_id>' or 'practice-<practice session id>'
-- race_source  race (a race of a LiveRC event) | practice (a practice-day session)
-- race_id, event_id: the LiveRC ids, NULL on practice rows (a practice session id is not a race id);
-- practice_session_id: LiveRC's practice session id, NULL on race rows; source_event_id: the event
-- (the practice day, `{track}-practice-{date}`, for practice rows).
-- Practice rows are practiceday / practiceday / high by construction (their page is a practice
-- session of a practice day: the decisive 'event' signal), never overridden (overrides are per race).
--
-- session_type  race | practice | qualifying | practiceday
-- session_kind  heat | main | triple_main_leg | double_main_leg | lcq | semi | final | seeding |
--               practice | practiceday | unknown (used by the bump-up ladder)
-- confidence    high | medium | low | override
-- signals_agreed / signals_disagreed: names of the int_race_session_signals rows that support /
--               do not support the published session_type (sorted lists)
-- inferred_*    the inference alone, before any person's override
-- override_*    the newest override a person set (`mre session-type set`), when one applies
--
-- Confidence rules (strong = section, label; weak = schedule; decisive = url, event):
-- * a decisive signal (practice-day event or /practice/ URL): practiceday, high, by construction;
-- * the strong signals agree on a type (every one supports it):
--     high   when both section and label recognised it and no weak signal disagrees,
--     medium when only one strong signal spoke, or a weak signal disagrees;
-- * low when the strong signals conflict, or no strong signal recognised anything; low
--   confidence falls back to session_type race (the legacy reading), kind from the signals that
--   support race, else unknown.
-- When the agreeing strong signals support several types (a "(Heat k/n)" label alone supports
-- qualifying and practice) the preference is race, then qualifying, then practice.
-- session_kind: the most specific kind among the agreeing signals (leg/lcq/semi/final, then
-- seeding/practice, then main/heat), label before section before schedule on a tie.
-- An override wins: its type, its kind (else the inferred kind when the types match, else
-- unknown), confidence 'override'. A newer 'cleared' override withdraws it.

with races as (
    select race_id, event_id, track_slug, class_name, round_name, race_name
    from stg_races
),

race_events as (
    select event_id, source_event_id
    from stg_events
    where event_id is not null
),

signals as (
    select * from int_race_session_signals
),

votes as (
    select
        race_id,
        count(*) filter (where strength = 'decisive') as decisive_signals,
        count(*) filter (where strength = 'strong') as strong_signals,
        count(*) filter (where strength = 'strong' and list_contains(supports, 'race')) as strong_race,
        count(*) filter (where strength = 'strong' and list_contains(supports, 'qualifying')) as strong_qualifying,
        count(*) filter (where strength = 'strong' and list_contains(supports, 'practice')) as strong_practice
    from signals
    group by race_id
),

decided as (
    select
        races.race_id,
        case
            when coalesce(votes.decisive_signals, 0) > 0 then 'practiceday'
            when coalesce(votes.strong_signals, 0) = 0 then null
            when votes.strong_race = votes.strong_signals then 'race'
            when votes.strong_qualifying = votes.strong_signals then 'qualifying'
            when votes.strong_practice = votes.strong_signals then 'practice'
        end as agreed_type,
        coalesce(votes.strong_signals, 0) as strong_signals
    from races
    left join votes using (race_id)
),

typed as (
    select
        race_id,
        coalesce(agreed_type, 'race') as inferred_session_type,
        agreed_type,
        strong_signals
    from decided
),

judged as (
    select
        typed.race_id,
        typed.inferred_session_type,
        list_sort(coalesce(list(signals.signal) filter (where list_contains(signals.supports, typed.inferred_session_type)), [])) as signals_agreed,
        list_sort(coalesce(list(signals.signal) filter (where not list_contains(signals.supports, typed.inferred_session_type)), [])) as signals_disagreed,
        count(signals.signal) filter (where signals.strength = 'weak' and not list_contains(signals.supports, typed.inferred_session_type)) as weak_against,
        arg_min(
            signals.session_kind,
            signals.kind_rank * 10 + case signals.signal when 'label' then 0 when 'section' then 1 else 2 end
        ) filter (where list_contains(signals.supports, typed.inferred_session_type) and signals.session_kind is not null) as inferred_kind,
        any_value(typed.agreed_type) as agreed_type,
        any_value(typed.strong_signals) as strong_signals
    from typed
    left join signals using (race_id)
    group by typed.race_id, typed.inferred_session_type
),

inferred as (
    select
        race_id,
        inferred_session_type,
        coalesce(inferred_kind, 'unknown') as inferred_session_kind,
        case
            when agreed_type = 'practiceday' then 'high'
            when agreed_type is null then 'low'
            when strong_signals >= 2 and weak_against = 0 then 'high'
            else 'medium'
        end as inferred_confidence,
        signals_agreed,
        signals_disagreed
    from judged
),

latest_override as (
    select *
    from stg_session_type_overrides
    qualify row_number() over (partition by race_id order by override_set_at desc, override_id desc) = 1
),

active_override as (
    select * from latest_override where not override_cleared
),

race_rows as (
    select
        'race-' || races.race_id as race_key,
        'race' as race_source,
        races.race_id,
        races.event_id,
        cast(null as bigint) as practice_session_id,
        race_events.source_event_id,
        races.track_slug,
        races.class_name,
        races.round_name,
        races.race_name,
        coalesce(o.override_session_type, i.inferred_session_type) as session_type,
        case
            when o.race_id is null then i.inferred_session_kind
            when o.override_session_kind is not null then o.override_session_kind
            when o.override_session_type = i.inferred_session_type then i.inferred_session_kind
            else 'unknown'
        end as session_kind,
        case when o.race_id is not null then 'override' else i.inferred_confidence end as confidence,
        i.signals_agreed,
        i.signals_disagreed,
        i.inferred_session_type,
        i.inferred_session_kind,
        i.inferred_confidence,
        o.override_reason,
        o.override_set_by,
        o.override_set_at
    from races
    join inferred as i using (race_id)
    left join active_override as o using (race_id)
    left join race_events using (event_id)
),

practice_rows as (
    select * from int_practice_races
)

-- by name: columns a practice row has no value for (round, label, overrides) are NULL
select * from race_rows
union all by name
select * from practice_rows
