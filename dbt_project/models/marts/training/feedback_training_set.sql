{#
    Build features are counted up to the moment of the feedback (point in time), so a model
    trained on them does not learn from builds the user had not seen yet. The project's
    other state (deployment, test pass rate, status) exists only as it is now: those
    columns are named current_* and may postdate the feedback.
#}

with

feedback as not materialized (
    select * from {{ ref('fct_feedback') }}
),

projects as (
    select * from {{ ref('dim_projects') }}
),

builds as not materialized (
    select * from {{ ref('fct_project_builds') }}
),

project_combinations as (
    {{ language_combination('projects') }}
),

builds_before_feedback as (
    select
        feedback.feedback_id,
        count(*) as build_count,
        count(*) filter (where builds.is_successful) as successful_build_count,
        min(builds.built_at) as first_built_at,
        max(builds.built_at) as last_built_at
    from feedback
    inner join builds
        on
            feedback.project_outcome_id = builds.project_outcome_id
            and feedback.submitted_at >= builds.built_at
    group by 1
),

last_build_before_feedback as (
    select distinct on (feedback.feedback_id)
        feedback.feedback_id,
        builds.is_successful
    from feedback
    inner join builds
        on
            feedback.project_outcome_id = builds.project_outcome_id
            and feedback.submitted_at >= builds.built_at
    order by feedback.feedback_id asc, builds.built_at desc
),

final as (
    select
        -- ids
        feedback.feedback_id,
        feedback.project_outcome_id,
        feedback.pattern_id,
        feedback.pattern_name,

        -- when
        feedback.submitted_at,
        feedback.submitted_date,

        -- labels: what the user said
        feedback.overall_satisfaction,
        feedback.pattern_usefulness,
        feedback.code_quality,
        feedback.documentation_clarity,
        feedback.setup_ease,
        feedback.likelihood_to_reuse,
        feedback.nps_group,
        feedback.would_recommend,

        -- the feedback's context
        feedback.feedback_source,
        feedback.has_encountered_errors,
        feedback.time_to_first_build_seconds,
        feedback.positive_aspects,
        feedback.negative_aspects,
        feedback.feature_requests,
        feedback.additional_comments,

        -- the project as scaffolded (fixed at creation)
        project_combinations.language_combination,
        projects.languages_used,
        projects.dependencies_installed,
        projects.components_generated,
        coalesce(cardinality(projects.components_generated), 0) as component_count,
        projects.files_created,
        projects.created_at as project_created_at,
        extract(epoch from feedback.submitted_at - projects.created_at)::double precision
        / 86400 as project_age_days_at_feedback,

        -- builds up to the feedback (point in time)
        coalesce(builds_before_feedback.build_count, 0)::bigint as builds_before_feedback,
        coalesce(
            builds_before_feedback.successful_build_count, 0
        )::bigint as successful_builds_before_feedback,
        last_build_before_feedback.is_successful as is_last_build_before_feedback_successful,
        builds_before_feedback.first_built_at,

        -- the project now (may postdate the feedback)
        projects.status as current_project_status,
        projects.last_build_status as current_last_build_status,
        projects.test_pass_rate as current_test_pass_rate,
        projects.deployment_status as current_deployment_status
    from feedback
    inner join projects
        on feedback.project_outcome_id = projects.project_outcome_id
    left join project_combinations
        on feedback.project_outcome_id = project_combinations.project_outcome_id
    left join builds_before_feedback
        on feedback.feedback_id = builds_before_feedback.feedback_id
    left join last_build_before_feedback
        on feedback.feedback_id = last_build_before_feedback.feedback_id
)

select * from final
