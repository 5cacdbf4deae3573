-- int_practice_races: each practice-day session as a race, typed by construction; the one place
-- the practice rows of mart_race_session_types and mart_races come from.
-- grain: one row per practice-day session
-- unique: race_key
-- materialized: view
--
-- race_key 'practice-<practice session id>'; race_source practice; race_id / event_id NULL (a
-- practice session id is not a race id); source_event_id the practice day
-- (`{track}-practice-{date}`). session_type / session_kind practiceday, confidence high, the
-- decisive 'event' signal agreeing (the page is a practice session of a practice day); never
-- overridden (overrides are per race).

select
    'practice-' || session_id as race_key,
    'practice' as race_source,
    cast(null as bigint) as race_id,
    cast(null as bigint) as event_id,
    session_id as practice_session_id,
    source_event_id,
    track_slug,
    class_name,
    cast(null as varchar) as round_name,
    cast(null as varchar) as race_name,
    'practiceday' as session_type,
    'practiceday' as session_kind,
    'high' as confidence,
    ['event'] as signals_agreed,
    cast([] as varchar[]) as signals_disagreed,
    'practiceday' as inferred_session_type,
    'practiceday' as inferred_session_kind,
    'high' as inferred_confidence
from stg_practice_sessions
