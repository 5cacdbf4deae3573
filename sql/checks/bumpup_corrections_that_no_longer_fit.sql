-- severity: warning
-- A person's standing 'add' correction that the results no longer support (after a re-crawl the
-- races were renamed, re-tiered or re-ordered): the same rules `mre bumpups correct` checks when
-- it is made (a different race that runs later and is a higher tier of the same class ladder).
-- Reported by `mre warehouse build` with the correction id; it never blocks publishing.
with latest as (
    select *
    from stg_bumpup_corrections
    qualify row_number() over (
        partition by target_race_id, driver_id order by correction_set_at desc, correction_id desc
    ) = 1
)
select c.correction_id, c.event_id, c.driver_id, c.source_race_id, c.target_race_id,
    st.ladder_class as source_class, tt.ladder_class as target_class,
    st.tier_rank as source_tier_rank, tt.tier_rank as target_tier_rank
from latest as c
left join int_race_tiers as st on st.race_id = c.source_race_id
left join int_race_tiers as tt on tt.race_id = c.target_race_id
where c.correction_action = 'add'
  and (c.source_race_id = c.target_race_id
       or st.run_order >= tt.run_order
       or (st.tier_rank is not null and tt.tier_rank is not null
           and (tt.tier_rank >= st.tier_rank or st.ladder_class is distinct from tt.ladder_class)))
