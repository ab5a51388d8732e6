with

project_versions as (
    select * from {{ ref('base_dataforge__project_outcomes') }}
),

-- Every version of a project carries its latest build (last_build_timestamp and status), so
-- the versions together hold each build the warehouse has seen. Of the versions reporting
-- the same build, the newest one (greatest updated_at, then loaded last) has its result.
builds as (
    select distinct on (project_outcome_id, last_built_at)
        project_outcome_id,
        last_built_at as built_at,
        last_built_date as built_date,
        last_build_status as build_status,
        pattern_id
    from project_versions
    where last_built_at is not null and last_build_status is not null
    order by project_outcome_id asc, last_built_at asc, updated_at desc, _ingest_seq desc
),

final as (
    select
        project_outcome_id,
        built_at,
        built_date,
        build_status,
        build_status = 'success' as is_successful,
        pattern_id
    from builds
)

select * from final
