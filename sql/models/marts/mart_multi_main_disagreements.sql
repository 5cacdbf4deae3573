-- mart_multi_main_disagreements: where LiveRC's published multi-main standing and the one
-- recomputed from the legs (mart_multi_main_standings) differ, with the reason.
-- grain: one row per multi-main page and driver whose published points or position differ
-- unique: multi_main_id, name_key
with standings as (
    select * from mart_multi_main_standings
),

differing as (
    select *
    from standings
    where published_points is distinct from computed_points
       or published_position is distinct from computed_position
)

select
    multi_main_id,
    event_id,
    track_slug,
    class_name,
    main_letter,
    name_key,
    driver_name,
    scoring_rule,
    scoring_rule_source,
    published_rule,
    published_position,
    computed_position,
    published_points,
    computed_points,
    case
        when published_points is distinct from computed_points then 'points'
        when tied_on_points then 'tie_break'
        else 'position'
    end as disagreement,
    case
        when published_points is distinct from computed_points then
            'published ' || coalesce(cast(published_points as varchar), 'no') || ' points, the legs give '
            || coalesce(cast(computed_points as varchar), 'none') || ' (best ' || legs_counted || ' of '
            || legs_completed || ' completed legs)'
        when tied_on_points then
            'tied on ' || computed_points || ' points: published P' || published_position || ', the ' || scoring_rule
            || ' tie-break gives P' || computed_position
        else 'published P' || coalesce(cast(published_position as varchar), '?') || ', the legs give P'
            || computed_position || ' on ' || coalesce(cast(computed_points as varchar), 'no') || ' points'
    end
    || case when scoring_rule_source = 'override' and published_rule is distinct from scoring_rule
            then ' (scored by ' || scoring_rule || ' as set for the event; the page says '
                 || coalesce(published_rule, 'nothing') || ')'
            else '' end as reason
from differing
