-- stg_session_type_overrides: every session type a person set (append-only history).
-- grain: one row per override action
-- unique: override_id
select
    cast(override_id as bigint) as override_id,
    cast(race_id as bigint) as race_id,
    session_type as override_session_type,
    session_kind as override_session_kind,
    cleared as override_cleared,
    reason as override_reason,
    set_by as override_set_by,
    set_at as override_set_at
from src_session_type_overrides
