-- mart_races: every race with its event, the published session type (the legacy contract) and the
-- inferred session type under its own names.
-- grain: one row per race
-- unique: race_id
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
    select event_id, event_name, date_start as event_date
    from stg_events
    where event_id is not null
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
)

select
    races.race_id,
    races.event_id,
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
    st.signals_disagreed as session_type_signals_disagreed
from races
cross join settings
left join events using (event_id)
left join session_types as st using (race_id)
left join results using (race_id)
left join withdrawn_override_writes as wd using (race_id)
