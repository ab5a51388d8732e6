-- Are users happier when their project had built by the time they gave feedback?
-- marts.feedback_training_set joins each feedback to what the user had at that moment: its
-- builds are counted up to the feedback (point in time). One row per outcome of the last build
-- before the feedback (succeeded, failed, none yet).
with

feedback_training_set as (
    select * from marts.feedback_training_set
),

final as (
    select
        case
            when is_last_build_before_feedback_successful then 'succeeded'
            when not is_last_build_before_feedback_successful then 'failed'
            else 'no build yet'
        end as last_build_before_feedback,
        count(*) as feedback,
        round(avg(overall_satisfaction), 2) as avg_satisfaction,
        round(avg(likelihood_to_reuse), 2) as avg_likelihood_to_reuse
    from feedback_training_set
    group by 1
)

select * from final
order by feedback desc
