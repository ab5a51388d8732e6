with

source as (
    select * from {{ source('prompt_runner', 'orchestration_events') }}
),

-- Append-only: an id should arrive once; if a conflicting re-delivery exists, the version
-- loaded last wins.
current_versions as (
    {{ keep_latest_version('source', partition_by=['id']) }}
),

final as (
    select
        -- ids
        id as event_id,
        session_id,

        -- strings
        nullif(event_type, '')::text as event_type,
        nullif(event_category, '')::text as event_category,
        nullif(phase, '')::text as phase,
        nullif(command, '')::text as command,
        nullif(result, '')::text as result,
        nullif(user_identifier, '')::text as user_identifier,
        nullif(error_details, '') as error_details,

        -- json
        parameters,
        metadata,

        -- numerics
        duration_ms,
        session_version,

        -- timestamps
        "timestamp" as occurred_at,

        -- loader
        _load_id,
        _loaded_at
    from current_versions
)

select * from final
