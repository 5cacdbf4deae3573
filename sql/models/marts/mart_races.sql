-- mart_races: every race with its event, the published session type (the legacy contract) and the
-- inferred session type under its own names; practice-day sessions are races here too.
-- grain: one row per race (race-event races and practice-day sessions alike)
-- unique: race_key
--
-- race_key / race_source / practice_session_id / source_event_id: as in mart_race_session_types.
-- Race rows (race_source 'race') keep every column they always had; race_id and event_id are
-- NULL on practice rows, so `where event_id = ...` and joins on race_id see races only.
-- Practice rows (race_source 'practice'): the practice day is the event (source_event_id,
-- event_name, event_date = the practice date); session_type, effective and inferred type are
-- practiceday, session_kind practiceday, confidence high (by construction); drivers 1 (one driver,
-- one transponder, one run), result_laps the session's laps; practice_driver_key /
-- practice_driver_name / transponder are the practice namespace (never a LiveRC driver id).
-- start_* / end_*: a practice session's start and end (end_estimated: no detail page yet, end =
-- start + length); a race's end is its completed time, its start is not published (NULL).
-- completed_local / completed_utc: the end, for both.
--
-- session_type: the stable contract for existing consumers.
--   MRE_SESSION_TYPE_INFERENCE off (default): the value stored in PostgreSQL races.session_type,
--     NULL until `mre session-type backfill` writes it; NULL reads as race (the legacy contract).
--     The contract follows curation: when the stored value is one a backfill wrote from a
--     person's override and that override has since been cleared, the value from before that
--     write is published instead (NULL where it was NULL).
--   MRE_SESSION_TYPE_INFERENCE on: effective_session_type, never NULL.
-- inferred_session_type: pure inference, overrides NOT applied (the same meaning as in
--   mart_race_session_types).
-- effective_session_type: a person's override, else the inference (mart_race_session_types.session_type);
--   session_kind and session_type_confidence ('override' for a curated race) go with it.
-- session_kind / session_type_confidence / session_type_signals_*: always filled from
--   mart_race_session_types, whatever the switch says.

with races as (
    select * from stg_races
),

events as (
    select event_id, source_event_id, event_name, date_start as event_date
    from stg_events
    where event_id is not null
),

practice_sessions as (
    select * from stg_practice_sessions
),

practice_days as (
    select source_event_id, time_zone from stg_practice_days
),

practice_events as (
    select source_event_id, event_name from stg_events where is_practice_day
),

session_types as (
    select * from mart_race_session_types
),

settings as (
    select session_type_inference from stg_build_settings
),

-- the newest backfill write to a race came from an override that is no longer active
withdrawn_override_writes as (
    select w.race_id, w.old_session_type as legacy_session_type, w.new_session_type
    from stg_session_type_writes as w
    join mart_race_session_types as st using (race_id)
    where w.is_latest and w.run_kind = 'backfill' and w.plan_confidence = 'override'
      and st.confidence <> 'override'
),

results as (
    select
        race_id,
        count(*) as drivers,
        count(*) filter (where result_status = 'finished') as finishers,
        sum(laps) as result_laps
    from stg_race_results
    group by race_id
),

race_rows as (
select
    'race-' || races.race_id as race_key,
    'race' as race_source,
    races.race_id,
    races.event_id,
    cast(null as bigint) as practice_session_id,
    events.source_event_id,
    races.track_slug,
    events.event_name,
    events.event_date,
    cast(extract(year from coalesce(events.event_date, cast(races.completed_local as date))) as integer) as year,
    races.round_name,
    races.race_number,
    races.class_name,
    races.class_key,
    races.race_name,
    races.heat_number,
    races.heat_count,
    races.completed_local,
    races.completed_utc,
    races.time_zone,
    races.time_flag,
    races.length_seconds,
    races.length_kind,
    races.caption_tag,
    races.schedule_index,
    coalesce(results.drivers, 0) as drivers,
    coalesce(results.finishers, 0) as finishers,
    coalesce(results.result_laps, 0) as result_laps,
    case
        when settings.session_type_inference then st.session_type
        when wd.race_id is not null and races.stored_session_type is not distinct from wd.new_session_type
            then wd.legacy_session_type
        else races.stored_session_type
    end as session_type,
    races.stored_session_type,
    settings.session_type_inference,
    st.inferred_session_type,
    st.session_type as effective_session_type,
    st.session_kind,
    st.confidence as session_type_confidence,
    st.signals_agreed as session_type_signals_agreed,
    st.signals_disagreed as session_type_signals_disagreed,
    cast(null as timestamp) as start_local,
    cast(null as timestamptz) as start_utc,
    races.completed_local as end_local,
    races.completed_utc as end_utc,
    false as end_estimated
from races
cross join settings
left join events using (event_id)
left join session_types as st using (race_id)
left join results using (race_id)
left join withdrawn_override_writes as wd using (race_id)
),

practice_rows as (
select
    pr.race_key,
    pr.race_source,
    pr.practice_session_id,
    s.source_event_id,
    s.track_slug,
    pe.event_name,
    s.practice_date as event_date,
    cast(extract(year from s.practice_date) as integer) as year,
    s.class_name,
    s.class_key,
    s.end_local as completed_local,
    s.end_utc as completed_utc,
    pd.time_zone,
    cast(round(s.length_seconds) as integer) as length_seconds,
    1 as drivers,
    s.laps as result_laps,
    pr.session_type,
    pr.session_type as stored_session_type,
    settings.session_type_inference,
    pr.inferred_session_type,
    pr.session_type as effective_session_type,
    pr.session_kind,
    pr.confidence as session_type_confidence,
    pr.signals_agreed as session_type_signals_agreed,
    pr.signals_disagreed as session_type_signals_disagreed,
    s.start_local,
    s.start_utc,
    s.end_local,
    s.end_utc,
    s.end_estimated,
    s.driver_key as practice_driver_key,
    s.driver_name as practice_driver_name,
    s.transponder
from practice_sessions as s
cross join settings
left join practice_days as pd using (source_event_id)
left join practice_events as pe using (source_event_id)
join int_practice_races as pr on pr.practice_session_id = s.session_id
)

-- by name: columns one side has no value for are NULL (a race has no transponder, a practice
-- session no round)
select * from race_rows
union all by name
select * from practice_rows
