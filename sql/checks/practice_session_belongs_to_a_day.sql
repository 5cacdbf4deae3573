-- Every practice session hangs off a practice day the warehouse knows (else the day marts would
-- silently leave its laps out).
select sessions.session_id, sessions.source_event_id
from stg_practice_sessions as sessions
left join stg_practice_days as days using (source_event_id)
where days.source_event_id is null
