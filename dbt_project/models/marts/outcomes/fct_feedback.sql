with

feedback as (
    select * from {{ ref('stg_dataforge__user_feedback') }}
),

projects as (
    select * from {{ ref('stg_dataforge__project_outcomes') }}
),

patterns as (
    select * from {{ ref('dim_patterns') }}
),

final as (
    select
        -- ids
        feedback.feedback_id,
        feedback.project_outcome_id,
        projects.pattern_id,

        -- pattern (its current display name, as pattern_analytics shows it)
        patterns.pattern_name,

        -- when
        feedback.submitted_at,
        feedback.submitted_date,
        feedback.is_submitted_at_plausible,

        -- ratings
        feedback.overall_satisfaction,
        feedback.pattern_usefulness,
        feedback.code_quality,
        feedback.documentation_clarity,
        feedback.setup_ease,
        feedback.likelihood_to_reuse,
        {{ nps_group('feedback.likelihood_to_reuse') }} as nps_group,
        feedback.would_recommend,

        -- words
        feedback.positive_aspects,
        feedback.negative_aspects,
        feedback.additional_comments,
        feedback.feature_requests,

        -- context
        feedback.has_encountered_errors,
        feedback.error_details,
        feedback.time_to_first_build_seconds,
        feedback.feedback_source,
        projects.project_outcome_id is not null as has_project
    from feedback
    left join projects
        on feedback.project_outcome_id = projects.project_outcome_id
    left join patterns
        on projects.pattern_id = patterns.pattern_id
)

select * from final
