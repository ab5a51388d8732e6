with

projects as (
    select * from {{ ref('dim_projects') }}
),

feedback as (
    select * from {{ ref('fct_feedback') }}
),

project_combinations as (
    {{ language_combination('projects') }}
),

projects_with_combination as (
    select
        projects.project_outcome_id,
        projects.pattern_id,
        projects.last_build_status,
        projects.is_deployed,
        projects.test_pass_rate,
        project_combinations.language_combination,
        project_combinations.language_count
    from projects
    inner join project_combinations
        on projects.project_outcome_id = project_combinations.project_outcome_id
),

projects_per_combination as (
    select
        language_combination,
        max(language_count) as language_count,
        count(*) as project_count,
        count(distinct pattern_id) as pattern_count,
        count(*) filter (where last_build_status is not null) as built_project_count,
        count(*) filter (where last_build_status = 'success') as successful_project_count,
        count(*) filter (where is_deployed) as deployed_project_count,
        count(test_pass_rate) as tested_project_count,
        avg(test_pass_rate) as avg_test_pass_rate
    from projects_with_combination
    group by 1
),

feedback_per_combination as (
    select
        projects_with_combination.language_combination,
        count(*) as feedback_count,
        avg(feedback.overall_satisfaction) as avg_satisfaction,
        count(feedback.likelihood_to_reuse) as scored_feedback_count,
        count(*) filter (where feedback.nps_group = 'promoter') as promoter_count,
        count(*) filter (where feedback.nps_group = 'detractor') as detractor_count
    from feedback
    inner join projects_with_combination
        on feedback.project_outcome_id = projects_with_combination.project_outcome_id
    group by 1
),

final as (
    select
        projects_per_combination.language_combination,
        projects_per_combination.language_count::integer as language_count,
        projects_per_combination.project_count::bigint as project_count,
        projects_per_combination.pattern_count::bigint as pattern_count,

        -- builds: the project's last build
        projects_per_combination.built_project_count::bigint as built_project_count,
        projects_per_combination.successful_project_count::bigint as successful_project_count,
        (
            projects_per_combination.successful_project_count::double precision
            / nullif(projects_per_combination.built_project_count, 0)
        ) as build_success_rate,
        {{ wilson_bound(
            'projects_per_combination.successful_project_count',
            'projects_per_combination.built_project_count',
            'lower'
        ) }} as build_success_rate_wilson_lower,
        {{ wilson_bound(
            'projects_per_combination.successful_project_count',
            'projects_per_combination.built_project_count',
            'upper'
        ) }} as build_success_rate_wilson_upper,

        -- deployment
        projects_per_combination.deployed_project_count::bigint as deployed_project_count,
        (
            projects_per_combination.deployed_project_count::double precision
            / projects_per_combination.project_count
        ) as deployment_rate,
        {{ wilson_bound(
            'projects_per_combination.deployed_project_count',
            'projects_per_combination.project_count',
            'lower'
        ) }} as deployment_rate_wilson_lower,
        {{ wilson_bound(
            'projects_per_combination.deployed_project_count',
            'projects_per_combination.project_count',
            'upper'
        ) }} as deployment_rate_wilson_upper,

        -- tests
        projects_per_combination.tested_project_count::bigint as tested_project_count,
        projects_per_combination.avg_test_pass_rate::double precision as avg_test_pass_rate,

        -- feedback
        coalesce(feedback_per_combination.feedback_count, 0)::bigint as feedback_count,
        feedback_per_combination.avg_satisfaction::double precision as avg_satisfaction,
        coalesce(
            feedback_per_combination.scored_feedback_count, 0
        )::bigint as scored_feedback_count,
        (
            100.0 * (
                feedback_per_combination.promoter_count
                - feedback_per_combination.detractor_count
            )
            / nullif(feedback_per_combination.scored_feedback_count, 0)
        )::double precision as nps
    from projects_per_combination
    left join feedback_per_combination
        on
            projects_per_combination.language_combination
            = feedback_per_combination.language_combination
)

select * from final
