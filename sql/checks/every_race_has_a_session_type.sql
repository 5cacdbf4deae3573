-- Every race has a session type, a kind and a confidence (low confidence falls back to race, so
-- a gap here means the inference model lost a race).
select races.race_id, st.session_type, st.session_kind, st.confidence
from stg_races as races
left join mart_race_session_types as st using (race_id)
where st.session_type is null or st.session_kind is null or st.confidence is null
