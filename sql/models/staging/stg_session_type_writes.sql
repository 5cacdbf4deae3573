-- stg_session_type_writes: every value `mre session-type backfill` (or its rollback) wrote into
-- PostgreSQL races.session_type, from the audit log, with what the backfill was writing.
-- grain: one row per audit row
-- unique: audit_id
--
-- Columns: audit_id, run_id, run_kind (backfill | rollback), race_id, old_session_type,
-- new_session_type, plan_confidence (override | high | medium | low; NULL for a rollback),
-- is_latest (the newest write to the race).
select
    cast(a.audit_id as bigint) as audit_id,
    cast(a.run_id as bigint) as run_id,
    r.kind as run_kind,
    cast(a.race_id as bigint) as race_id,
    a.old_session_type,
    a.new_session_type,
    p.confidence as plan_confidence,
    row_number() over (partition by a.race_id order by a.audit_id desc) = 1 as is_latest
from src_session_type_audit as a
left join src_session_type_backfill_runs as r on r.run_id = a.run_id
left join src_session_type_backfill_plan as p on p.run_id = a.run_id and p.race_id = a.race_id
