-- A detected bump-up's target must be a higher tier than its source, in the same event. A person's
-- added row that no longer fits is a warning (bumpup_corrections_that_no_longer_fit), not a failure.
select b.event_id, b.driver_id, b.source_race_id, b.target_race_id, b.source_tier_rank, b.target_tier_rank
from mart_bumpups as b
where b.source_tier_rank is not null and b.target_tier_rank is not null
  and b.target_tier_rank >= b.source_tier_rank
  and b.correction is distinct from 'added'
