with

source as (
    {{ without_held_batches(source('dataforge', 'project_outcomes')) }}
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

        -- booleans
        {{ is_plausible_time('created_at') }} as is_created_at_plausible,
        {{ is_plausible_time('last_build_timestamp') }} as is_last_built_at_plausible,

        -- timestamps
        last_build_timestamp as last_built_at,
        {{ plausible_date('last_build_timestamp') }} as last_built_date,
        created_at,
        {{ plausible_date('created_at') }} as created_date,
        updated_at,
        last_accessed_at,

        -- loader
        _load_id,
        _effective_loaded_at as _loaded_at,
        _ingest_seq
    from source
)

select * from final
