-- stg_multi_main_scoring_rules: the scoring rule people set for an event's multi-mains.
-- grain: one row per event
-- unique: event_id
select
    cast(event_id as bigint) as event_id,
    upper(rule) as scoring_rule,
    note as scoring_rule_note
from src_multi_main_scoring_rules
