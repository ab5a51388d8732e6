-- The pattern's most recent feedback, newest first.
with

fct_feedback as (
    select * from marts.fct_feedback
    where pattern_id = %(pattern_id)s
),

final as (
    select
        feedback_id,
        project_outcome_id,
        submitted_at,
        overall_satisfaction,
        pattern_usefulness,
        likelihood_to_reuse,
        nps_group,
        would_recommend,
        positive_aspects,
        negative_aspects,
        additional_comments
    from fct_feedback
)

select * from final
order by submitted_at desc, feedback_id asc
limit %(limit)s
