with

projects as not materialized (
    select * from {{ ref('stg_dataforge__project_outcomes') }}
),

-- The name shown for a pattern is the one on its most recently updated project, as in
-- pattern_analytics.
pattern_names as (
    select distinct on (pattern_id)
        pattern_id,
        pattern_name
    from projects
    where pattern_id is not null
    order by pattern_id asc, updated_at desc, _loaded_at desc, project_outcome_id desc
),

projects_per_pattern as (
    select
        pattern_id,
        count(*) as project_count,
        count(*) filter (where status = 'active') as active_project_count,
        count(distinct pattern_name) as name_count,
        min(created_at) as first_project_at,
        max(created_at) as last_project_at
    from projects
    where pattern_id is not null
    group by 1
),

final as (
    select
        projects_per_pattern.pattern_id,
        pattern_names.pattern_name,
        projects_per_pattern.project_count::bigint as project_count,
        projects_per_pattern.active_project_count::bigint as active_project_count,
        projects_per_pattern.name_count::bigint as name_count,
        projects_per_pattern.first_project_at,
        projects_per_pattern.last_project_at
    from projects_per_pattern
    inner join pattern_names
        on projects_per_pattern.pattern_id = pattern_names.pattern_id
)

select * from final
