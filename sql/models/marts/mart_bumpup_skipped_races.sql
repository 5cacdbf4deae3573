-- mart_bumpup_skipped_races: races that look like part of a main ladder but were left out of bump-up detection, and why.
-- grain: one row per skipped race
-- unique: race_id
--
-- Columns: event_id, track_slug, class_name (as published), race_id, race_name, label,
-- tier_kind, skip_kind, label_parts (the parts of the label that were read), reason, run_order,
-- completed_local, has_results, result_rows.
-- skip_kind:
-- * placeholder: the race's class has no stored results at an event whose other classes have
--   results (a lunch break or track-maintenance slot); it takes part in no ladder;
-- * unrecognised_label: no ladder rule reads the label (the reason says which parts were read);
-- * lcq_unattached: an LCQ that no class takes (no own-class mains, no class named in its label,
--   no later top main that starts its finishers at the back of the grid);
-- * bracket_size: a "1/k Final" whose k is not a power of two;
-- * practice_lookalike: a practice, warm-up or qualifying label that also carries a main-like word
--   ("A Main Practice"); the practice word wins.
-- Plain qualifier heats and qualifying rounds are not listed: they are never on a ladder.

with tiers as (
    select * from int_race_tiers where tier_rank is null
),

classified as (
    select
        *,
        case
            when is_placeholder then 'placeholder'
            when tier_kind = 'lcq' then 'lcq_unattached'
            when tier_kind = 'bracket' then 'bracket_size'
            when tier_kind = 'unrecognised' then 'unrecognised_label'
            when tier_kind = 'qualifying' and regexp_matches(
                coalesce(label_parts, ''), 'round (main|final|semi|quarter|lcq)|letter ')
                then 'practice_lookalike'
        end as skip_kind
    from tiers
)

select
    event_id,
    track_slug,
    class_name,
    race_id,
    race_name,
    label,
    tier_kind,
    skip_kind,
    label_parts,
    tier_reason as reason,
    run_order,
    completed_local,
    has_results,
    result_rows
from classified
where skip_kind is not null
