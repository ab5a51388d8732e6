with

source as (
    select * from {{ source('prompt_runner', 'orchestration_events') }}
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
        ("timestamp" at time zone 'utc')::date as event_date,

        -- loader
        _load_id,
        _loaded_at,
        _ingest_seq
    from source
)

select * from final
