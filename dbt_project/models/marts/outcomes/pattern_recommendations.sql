{#
    Ranked by the lower bound of the 95% Wilson interval of the build success rate, not by
    the rate itself: one lucky build is a 100% rate but a lower bound near 0.21, so a
    pattern climbs only as its evidence grows. Below the minimum count a pattern is listed
    but not ranked. Change the minimum with the var recommendation_min_built_projects.
#}

{% set min_built_projects = var('recommendation_min_built_projects', 5) %}

with

projects as (
    select * from {{ ref('dim_projects') }}
),

patterns as (
    select * from {{ ref('dim_patterns') }}
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
        project_combinations.language_combination
    from projects
    inner join project_combinations
        on projects.project_outcome_id = project_combinations.project_outcome_id
    where projects.pattern_id is not null
),

projects_per_pattern as (
    select
        language_combination,
        pattern_id,
        count(*) as project_count,
        count(*) filter (where last_build_status is not null) as built_project_count,
        count(*) filter (where last_build_status = 'success') as successful_project_count,
        count(*) filter (where is_deployed) as deployed_project_count
    from projects_with_combination
    group by 1, 2
),

feedback_per_pattern as (
    select
        projects_with_combination.language_combination,
        projects_with_combination.pattern_id,
        count(feedback.likelihood_to_reuse) as scored_feedback_count,
        count(*) filter (where feedback.nps_group = 'promoter') as promoter_count,
        count(*) filter (where feedback.nps_group = 'detractor') as detractor_count
    from feedback
    inner join projects_with_combination
        on feedback.project_outcome_id = projects_with_combination.project_outcome_id
    group by 1, 2
),

scored as (
    select
        projects_per_pattern.language_combination,
        projects_per_pattern.pattern_id,
        projects_per_pattern.project_count,
        projects_per_pattern.built_project_count,
        projects_per_pattern.successful_project_count,
        projects_per_pattern.deployed_project_count,
        coalesce(feedback_per_pattern.scored_feedback_count, 0) as scored_feedback_count,
        (
            100.0 * (feedback_per_pattern.promoter_count - feedback_per_pattern.detractor_count)
            / nullif(feedback_per_pattern.scored_feedback_count, 0)
        ) as nps,
        (
            projects_per_pattern.successful_project_count::double precision
            / nullif(projects_per_pattern.built_project_count, 0)
        ) as build_success_rate,
        {{ wilson_bound(
            'projects_per_pattern.successful_project_count',
            'projects_per_pattern.built_project_count',
            'lower'
        ) }} as build_success_rate_wilson_lower,
        {{ wilson_bound(
            'projects_per_pattern.successful_project_count',
            'projects_per_pattern.built_project_count',
            'upper'
        ) }} as build_success_rate_wilson_upper,
        projects_per_pattern.built_project_count >= {{ min_built_projects }} as is_ranked
    from projects_per_pattern
    left join feedback_per_pattern
        on
            projects_per_pattern.language_combination = feedback_per_pattern.language_combination
            and projects_per_pattern.pattern_id = feedback_per_pattern.pattern_id
),

ranked as (
    select
        *,
        case
            when is_ranked
                then row_number() over (
                    partition by language_combination, is_ranked
                    order by
                        build_success_rate_wilson_lower desc,
                        built_project_count desc,
                        pattern_id asc
                )
        end as recommendation_rank
    from scored
),

final as (
    select
        ranked.language_combination,
        ranked.pattern_id,
        patterns.pattern_name,
        ranked.recommendation_rank::integer as recommendation_rank,
        coalesce(ranked.recommendation_rank = 1, false) as is_recommended,
        ranked.is_ranked,
        {{ min_built_projects }}::integer as min_built_projects,
        ranked.project_count::bigint as project_count,
        ranked.built_project_count::bigint as built_project_count,
        ranked.successful_project_count::bigint as successful_project_count,
        ranked.build_success_rate::double precision as build_success_rate,
        ranked.build_success_rate_wilson_lower::double precision
            as build_success_rate_wilson_lower,
        ranked.build_success_rate_wilson_upper::double precision
            as build_success_rate_wilson_upper,
        ranked.deployed_project_count::bigint as deployed_project_count,
        ranked.scored_feedback_count::bigint as scored_feedback_count,
        ranked.nps::double precision as nps
    from ranked
    left join patterns
        on ranked.pattern_id = patterns.pattern_id
)

select * from final
