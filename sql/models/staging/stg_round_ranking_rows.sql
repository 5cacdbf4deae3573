-- stg_round_ranking_rows: each qualifier round's ranking per class (FIELD-GUIDE §11.4), with the round's mode.
-- grain: one row per ranking, class and driver
-- unique: ranking_id, class_name, name_key
select
    cast(r.ranking_id as bigint) as ranking_id,
    cast(k.event_id as bigint) as event_id,
    k.mode as ranking_mode,
    k.round_name,
    r.class_name,
    r.class_key,
    r.name_key,
    cast(r.position as integer) as round_position,
    r.driver_name as printed_driver_name,
    cast(r.laps as integer) as laps,
    cast(r.total_time as double) as total_time_seconds,
    r.flag,
    cast(r.top2_consecutive as double) as top2_consecutive,
    cast(r.top3_consecutive as double) as top3_consecutive,
    cast(r.avg_top5 as double) as avg_top5,
    cast(r.fastest_lap as double) as fastest_lap,
    cast(r.avg_lap as double) as avg_lap,
    cast(r.race_id as bigint) as race_id
from src_round_ranking_rows as r
join src_round_rankings as k on k.ranking_id = r.ranking_id
where r.removed_at is null
