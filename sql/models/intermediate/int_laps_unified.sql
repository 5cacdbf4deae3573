-- int_laps_unified: every lap, race and practice alike, in one shape.
-- grain: one row per run and lap (a run: one driver in one race, or one practice session)
-- unique: run_key, lap_number
-- materialized: view
--
-- run_key      'race-<race_id>-<driver_id>' or 'practice-<practice session id>'
-- race_key     the run's row in mart_races / mart_race_session_types
-- race_source  race | practice
-- driver_id (LiveRC's, race laps) and practice_driver_key (the practice namespace, practice laps)
-- never mix: a transponder is not a driver id.
-- lap_time     seconds; end_local / end_utc: when the lap ended, known for practice laps only
--              (LiveRC's race pages print lap times, not clock times)
-- is_valid     LiveRC's practice validity flag; NULL for race laps (race pages have none)
-- session_type the effective type of the run's race (mart_race_session_types); practiceday for
--              practice laps
--
-- A view, not a table: it holds no rows of its own, so a build does not copy ten million laps
-- once more. Its key is unique when its inputs' keys are (stg_laps: race_id, driver_id,
-- lap_number; stg_practice_laps: session_id, lap_number; both checked), since run_key spells
-- those ids out under distinct prefixes.

with race_laps as (
    select * from stg_laps
),

practice_laps as (
    select * from stg_practice_laps
),

practice_sessions as (
    select session_id, track_slug, driver_key from stg_practice_sessions
),

race_session_types as (
    select race_id, track_slug, session_type
    from mart_race_session_types
    where race_source = 'race'
),

race_rows as (
    select
        'race-' || l.race_id || '-' || l.driver_id as run_key,
        l.lap_number,
        'race-' || l.race_id as race_key,
        'race' as race_source,
        st.track_slug,
        l.race_id,
        l.driver_id,
        cast(null as bigint) as practice_session_id,
        cast(null as varchar) as practice_driver_key,
        l.lap_time,
        cast(null as timestamp) as end_local,
        cast(null as timestamptz) as end_utc,
        cast(null as boolean) as is_valid,
        st.session_type
    from race_laps as l
    left join race_session_types as st using (race_id)
),

practice_rows as (
    select
        'practice-' || l.session_id as run_key,
        l.lap_number,
        'practice-' || l.session_id as race_key,
        'practice' as race_source,
        s.track_slug,
        cast(null as bigint) as race_id,
        cast(null as bigint) as driver_id,
        l.session_id as practice_session_id,
        s.driver_key as practice_driver_key,
        l.lap_time,
        l.end_local,
        l.end_utc,
        l.is_valid,
        'practiceday' as session_type
    from practice_laps as l
    left join practice_sessions as s using (session_id)
)

select * from race_rows
union all
select * from practice_rows
