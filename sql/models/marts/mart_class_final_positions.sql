-- mart_class_final_positions: each class's final positions per event, from LiveRC's overall final
-- ranking (FIELD-GUIDE §11.5): one Pos sequence per class across all its mains, the main the driver
-- finished in, the place within it and its laps/time.
-- grain: one row per event, class and driver
-- unique: event_id, class_name, name_key
select
    o.event_id,
    e.track_slug,
    e.event_name,
    o.class_name,
    o.class_key,
    o.name_key,
    o.printed_driver_name as driver_name,
    o.final_position,
    o.final_position = 1 as is_class_winner,
    o.race_label as final_main,
    o.main_place,
    o.multi_main_points,
    o.laps,
    o.total_time_seconds,
    o.flag,
    o.race_id
from stg_overall_ranking_rows as o
left join stg_events as e on e.event_id = o.event_id
