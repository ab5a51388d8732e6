with

source as (
    select * from {{ source('dataforge', 'project_outcomes') }}
),

final as (
    select
        -- ids
        id as project_outcome_id,
        user_id,
        workspace_id,

        -- strings
        nullif(project_name, '')::text as project_name,
        nullif(project_path, '') as project_path,
        nullif(pattern_id, '')::text as pattern_id,
        nullif(pattern_name, '')::text as pattern_name,
        nullif(status, '')::text as status,
        nullif(last_build_status, '')::text as last_build_status,
        nullif(deployment_status, '')::text as deployment_status,

        -- arrays
        components_generated,
        languages_used,
        dependencies_installed,

        -- numerics
        files_created,
        test_pass_rate,

        -- timestamps
        last_build_timestamp as last_built_at,
        created_at,
        (created_at at time zone 'utc')::date as created_date,
        updated_at,
        last_accessed_at,

        -- loader
        _load_id,
        _loaded_at,
        _ingest_seq
    from source
)

select * from final
