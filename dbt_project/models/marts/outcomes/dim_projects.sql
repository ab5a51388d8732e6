with

projects as (
    select * from {{ ref('stg_dataforge__project_outcomes') }}
),

feedback as (
    select * from {{ ref('stg_dataforge__user_feedback') }}
),

builds as (
    select * from {{ ref('int_project_builds') }}
),

feedback_per_project as (
    select
        project_outcome_id,
        count(*) as feedback_count,
        max(submitted_at) as last_feedback_at
    from feedback
    group by 1
),

builds_per_project as (
    select
        project_outcome_id,
        count(*) as observed_build_count,
        count(*) filter (where is_successful) as observed_successful_build_count
    from builds
    group by 1
),

final as (
    select
        -- ids
        projects.project_outcome_id,
        projects.pattern_id,
        projects.user_id,
        projects.workspace_id,

        -- description
        projects.project_name,
        projects.project_path,
        projects.pattern_name,
        projects.components_generated,
        projects.languages_used,
        projects.dependencies_installed,
        projects.files_created,

        -- lifecycle and health
        projects.status,
        coalesce(projects.status = 'deleted', false) as is_deleted,
        projects.last_build_status,
        projects.last_built_at,
        projects.test_pass_rate,
        projects.deployment_status,
        coalesce(projects.deployment_status = 'deployed', false) as is_deployed,
        coalesce(builds_per_project.observed_build_count, 0)::bigint as observed_build_count,
        coalesce(
            builds_per_project.observed_successful_build_count, 0
        )::bigint as observed_successful_build_count,

        -- feedback
        coalesce(feedback_per_project.feedback_count, 0)::bigint as feedback_count,
        feedback_per_project.last_feedback_at,

        -- timestamps
        projects.created_at,
        (projects.created_at at time zone 'utc')::date as created_date,
        projects.updated_at,
        projects.last_accessed_at
    from projects
    left join feedback_per_project
        on projects.project_outcome_id = feedback_per_project.project_outcome_id
    left join builds_per_project
        on projects.project_outcome_id = builds_per_project.project_outcome_id
)

select * from final
