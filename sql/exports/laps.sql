-- laps export: every lap with the keys an analyst filters and joins on (event, class, race,
-- round, driver), so "laps by event, class, round and driver" needs no join; names and other
-- race figures are one join away (races.parquet, drivers.parquet, race_results.parquet).
-- Keys only, on purpose: repeating names on every lap would multiply the file and slow the
-- export several times over (10M laps).
-- grain: one row per race, driver and lap
-- unique: race_id, driver_id, lap_number
with race_keys as (
    select
        races.race_id,
        races.track_slug,
        cast(extract(year from coalesce(events.date_start, cast(races.completed_local as date))) as integer) as year,
        races.event_id,
        races.class_key,
        races.round_name
    from stg_races as races
    left join stg_events as events on events.event_id = races.event_id
)

select
    race_keys.track_slug,
    race_keys.year,
    race_keys.event_id,
    race_keys.class_key,
    race_keys.round_name,
    laps.race_id,
    laps.driver_id,
    laps.lap_number,
    laps.lap_time,
    laps.running_position
from stg_laps as laps
join race_keys using (race_id)
