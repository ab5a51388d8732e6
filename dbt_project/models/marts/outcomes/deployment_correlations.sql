{#
    Each factor is compared with every other project, not only with the other values of
    its kind: "deployed more often with cargo than without it" is the question. A project
    has several languages and dependency managers, so one project counts for each of them.

    Counted without pairing every factor with every project (factors x projects rows grew
    with the square of the data: 9+ minutes at 1M events): a factor's own counts come from
    its projects, the others' from the totals minus them, and phi from that 2x2 table
    (the Pearson correlation of two 0/1 variables; null when a margin is empty, as corr()).
#}

with

projects as not materialized (
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

totals as (
    select
        count(*) as project_count,
        count(*) filter (where coalesce(projects.is_deployed, false)) as deployed_count
    from projects
),

-- A project has a factor at most once (the selects above are distinct per project).
counts_per_factor as (
    select
        project_factors.factor_type,
        project_factors.factor_value,
        count(*) as project_count,
        count(*) filter (where coalesce(projects.is_deployed, false)) as deployed_count,
        count(*) filter (where projects.deployment_status = 'staging') as staging_count,
        count(*) filter (where projects.deployment_status = 'local') as local_count,
        count(*) filter (where projects.deployment_status is null) as undeployed_count
    from project_factors
    inner join projects
        on project_factors.project_outcome_id = projects.project_outcome_id
    group by 1, 2
),

-- The 2x2 table of each factor: deployed (or not) with (or without) the factor.
contingency as (
    select
        counts_per_factor.*,
        totals.project_count - counts_per_factor.project_count as other_project_count,
        totals.deployed_count - counts_per_factor.deployed_count as other_deployed_count,
        counts_per_factor.deployed_count::numeric as deployed_with,
        (counts_per_factor.project_count - counts_per_factor.deployed_count)::numeric
            as undeployed_with,
        (totals.deployed_count - counts_per_factor.deployed_count)::numeric as deployed_without,
        (
            totals.project_count - totals.deployed_count
            - counts_per_factor.project_count + counts_per_factor.deployed_count
        )::numeric as undeployed_without
    from counts_per_factor
    cross join totals
),

correlations as (
    select
        contingency.*,
        (
            contingency.deployed_with * contingency.undeployed_without
            - contingency.undeployed_with * contingency.deployed_without
        ) / nullif(
            sqrt(
                (contingency.deployed_with + contingency.undeployed_with)
                * (contingency.deployed_without + contingency.undeployed_without)
                * (contingency.deployed_with + contingency.deployed_without)
                * (contingency.undeployed_with + contingency.undeployed_without)
            ),
            0
        ) as phi_coefficient
    from contingency
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
        round(phi_coefficient, 6)::double precision as phi_coefficient
    from correlations
)

select * from final
