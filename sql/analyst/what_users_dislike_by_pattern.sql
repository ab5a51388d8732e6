-- What do users dislike about the patterns they recommend least?
-- The negative aspects named in feedback, counted per pattern, for patterns with an NPS below
-- zero: marts.fct_feedback (one row per feedback) joined to marts.pattern_analytics on
-- pattern_id. One row per pattern and aspect.
with

pattern_analytics as (
    select * from marts.pattern_analytics
    where nps < 0
),

fct_feedback as (
    select * from marts.fct_feedback
),

aspects as (
    select
        fct_feedback.pattern_id,
        unnest(fct_feedback.negative_aspects) as aspect
    from fct_feedback
),

final as (
    select
        pattern_analytics.pattern_id,
        pattern_analytics.pattern_name,
        pattern_analytics.nps,
        aspects.aspect,
        count(*) as mentions
    from aspects
    inner join pattern_analytics
        on aspects.pattern_id = pattern_analytics.pattern_id
    group by 1, 2, 3, 4
)

select * from final
order by nps asc, mentions desc, aspect asc
