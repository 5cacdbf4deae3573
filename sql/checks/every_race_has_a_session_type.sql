-- Every race has a session type, a kind and a confidence (low confidence falls back to race, so
-- a gap here means the inference model lost a race); practice-day sessions included, in both
-- race-level marts.
select 'race-' || races.race_id as race_key, st.session_type, st.session_kind, st.confidence
from stg_races as races
left join mart_race_session_types as st using (race_id)
where st.session_type is null or st.session_kind is null or st.confidence is null
union all
select m.race_key, m.effective_session_type, m.session_kind, m.session_type_confidence
from mart_races as m
where m.effective_session_type is null or m.session_kind is null or m.session_type_confidence is null
