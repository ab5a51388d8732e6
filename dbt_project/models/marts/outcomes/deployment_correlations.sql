{#
    Each factor is compared with every other project, not only with the other values of
    its kind: "deployed more often with cargo than without it" is the question. A project
    has several languages and dependency managers, so one project counts for each of them.
#}

with

projects as (
    select * from {{ ref('dim_projects') }}
),

project_combinations as (
    {{ language_combination('projects') }}
),

project_factors as (
    select distinct
        projects.project_outcome_id,
        'language'::text as factor_type,
        project_language as factor_value
    from projects
    cross join lateral unnest(projects.languages_used) as project_language
    where project_language is not null and project_language <> ''
    union all
    select distinct
        projects.project_outcome_id,
        'dependency_manager'::text as factor_type,
        dependency_manager as factor_value
    from projects
    cross join lateral unnest(projects.dependencies_installed) as dependency_manager
    where dependency_manager is not null and dependency_manager <> ''
    union all
    select
        project_outcome_id,
        'language_combination'::text as factor_type,
        language_combination as factor_value
    from project_combinations
    union all
    select
        project_outcome_id,
        'pattern'::text as factor_type,
        pattern_id as factor_value
    from projects
    where pattern_id is not null
    union all
    select
        project_outcome_id,
        'last_build_status'::text as factor_type,
        last_build_status as factor_value
    from projects
    where last_build_status is not null
),

factors as (
    select distinct
        factor_type,
        factor_value
    from project_factors
),

-- Every project against every factor: has it or not, deployed or not.
projects_by_factor as (
    select
        factors.factor_type,
        factors.factor_value,
        projects.project_outcome_id,
        projects.deployment_status,
        coalesce(projects.is_deployed, false) as is_deployed,
        project_factors.project_outcome_id is not null as has_factor
    from factors
    cross join projects
    left join project_factors
        on
            factors.factor_type = project_factors.factor_type
            and factors.factor_value = project_factors.factor_value
            and projects.project_outcome_id = project_factors.project_outcome_id
),

counts_per_factor as (
    select
        factor_type,
        factor_value,
        count(*) filter (where has_factor) as project_count,
        count(*) filter (where has_factor and is_deployed) as deployed_count,
        count(*) filter (
            where has_factor and deployment_status = 'staging'
        ) as staging_count,
        count(*) filter (where has_factor and deployment_status = 'local') as local_count,
        count(*) filter (where has_factor and deployment_status is null) as undeployed_count,
        count(*) filter (where not has_factor) as other_project_count,
        count(*) filter (where not has_factor and is_deployed) as other_deployed_count,
        -- Pearson's correlation of two 0/1 variables is the phi coefficient
        corr(
            is_deployed::integer::double precision,
            has_factor::integer::double precision
        ) as phi_coefficient
    from projects_by_factor
    group by 1, 2
),

final as (
    select
        factor_type,
        factor_value,
        project_count::bigint as project_count,
        deployed_count::bigint as deployed_count,
        staging_count::bigint as staging_count,
        local_count::bigint as local_count,
        undeployed_count::bigint as undeployed_count,
        (deployed_count::double precision / nullif(project_count, 0)) as deployment_rate,
        {{ wilson_bound('deployed_count', 'project_count', 'lower') }}
            as deployment_rate_wilson_lower,
        {{ wilson_bound('deployed_count', 'project_count', 'upper') }}
            as deployment_rate_wilson_upper,
        other_project_count::bigint as other_project_count,
        other_deployed_count::bigint as other_deployed_count,
        (
            other_deployed_count::double precision / nullif(other_project_count, 0)
        ) as other_deployment_rate,
        (
            deployed_count::double precision / nullif(project_count, 0)
            - other_deployed_count::double precision / nullif(other_project_count, 0)
        ) as deployment_rate_difference,
        round(phi_coefficient::numeric, 6)::double precision as phi_coefficient
    from counts_per_factor
)

select * from final
