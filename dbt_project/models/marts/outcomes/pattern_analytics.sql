with

projects as not materialized (
    select * from {{ ref('stg_dataforge__project_outcomes') }}
),

feedback as (
    select * from {{ ref('stg_dataforge__user_feedback') }}
),

reference_time as (
    select {{ as_of() }} as as_of
),

-- The seed joins feedback to projects before counting builds, which counts a project once
-- per feedback row. Projects and feedback are aggregated separately here, then joined on
-- the pattern: build counts count projects.
projects_per_pattern as (
    select
        projects.pattern_id,
        count(distinct projects.project_outcome_id) as total_projects,
        count(distinct projects.project_outcome_id) filter (
            where projects.created_at >= reference_time.as_of - interval '30 days'
            and projects.created_at <= reference_time.as_of
        ) as projects_last_30_days,
        count(distinct projects.project_outcome_id) filter (
            where projects.created_at >= reference_time.as_of - interval '7 days'
            and projects.created_at <= reference_time.as_of
        ) as projects_last_7_days,
        count(distinct projects.project_outcome_id) filter (
            where projects.last_build_status = 'success'
        ) as successful_builds,
        count(distinct projects.project_outcome_id) filter (
            where projects.last_build_status = 'failure'
        ) as failed_builds,
        count(distinct projects.project_outcome_id) filter (
            where projects.last_build_status is not null
        ) as built_projects,
        max(projects.updated_at) as last_activity
    from projects
    cross join reference_time
    where projects.pattern_id is not null
    group by 1
),

-- The name shown for a pattern is the one on its most recently updated project.
pattern_names as (
    select distinct on (pattern_id)
        pattern_id,
        pattern_name
    from projects
    where pattern_id is not null
    order by pattern_id asc, updated_at desc, _loaded_at desc, project_outcome_id desc
),

feedback_per_pattern as (
    select
        projects.pattern_id,
        count(distinct feedback.feedback_id) as feedback_count,
        avg(feedback.overall_satisfaction) as avg_satisfaction,
        avg(feedback.pattern_usefulness) as avg_usefulness,
        avg(feedback.likelihood_to_reuse) as avg_likelihood_to_reuse,
        count(*) filter (where feedback.would_recommend) as recommendation_count,
        avg(feedback.time_to_first_build_seconds) as avg_time_to_first_build_seconds,
        count(feedback.likelihood_to_reuse) as scored_feedback_count,
        count(*) filter (where feedback.likelihood_to_reuse >= 9) as promoter_count,
        count(*) filter (where feedback.likelihood_to_reuse <= 6) as detractor_count
    from feedback
    inner join projects
        on feedback.project_outcome_id = projects.project_outcome_id
    where projects.pattern_id is not null
    group by 1
),

final as (
    select
        projects_per_pattern.pattern_id,
        pattern_names.pattern_name,

        -- usage
        projects_per_pattern.total_projects::bigint as total_projects,
        projects_per_pattern.projects_last_30_days::bigint as projects_last_30_days,
        projects_per_pattern.projects_last_7_days::bigint as projects_last_7_days,

        -- health
        projects_per_pattern.successful_builds::bigint as successful_builds,
        projects_per_pattern.failed_builds::bigint as failed_builds,
        round(
            100.0 * projects_per_pattern.successful_builds
            / nullif(projects_per_pattern.built_projects, 0),
            2
        )::numeric(5, 2) as build_success_rate,

        -- feedback
        coalesce(feedback_per_pattern.feedback_count, 0)::bigint as feedback_count,
        round(feedback_per_pattern.avg_satisfaction, 2)::numeric(3, 2) as avg_satisfaction,
        round(feedback_per_pattern.avg_usefulness, 2)::numeric(3, 2) as avg_usefulness,
        round(feedback_per_pattern.avg_likelihood_to_reuse, 2)::numeric(4, 2) as avg_nps,
        coalesce(feedback_per_pattern.recommendation_count, 0)::bigint as recommendation_count,

        -- time
        round(
            feedback_per_pattern.avg_time_to_first_build_seconds / 60.0, 2
        )::numeric(12, 2) as avg_time_to_build_minutes,
        projects_per_pattern.last_activity,

        -- additions of docs/contract.md section 4
        round(
            100.0 * (feedback_per_pattern.promoter_count - feedback_per_pattern.detractor_count)
            / nullif(feedback_per_pattern.scored_feedback_count, 0),
            2
        )::numeric(5, 2) as nps,
        reference_time.as_of
    from projects_per_pattern
    cross join reference_time
    left join pattern_names
        on projects_per_pattern.pattern_id = pattern_names.pattern_id
    left join feedback_per_pattern
        on projects_per_pattern.pattern_id = feedback_per_pattern.pattern_id
)

select * from final
