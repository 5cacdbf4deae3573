-- Every race's finishing positions run 1..n with no gap or repeat (DNS rows are placed last, so
-- they count too). Offending rows: the race and what its positions look like.
select
    race_id,
    count(*) as result_rows,
    min(finish_position) as first_position,
    max(finish_position) as last_position,
    count(distinct finish_position) as distinct_positions
from stg_race_results
group by race_id
having min(finish_position) <> 1
    or max(finish_position) <> count(*)
    or count(distinct finish_position) <> count(*)
