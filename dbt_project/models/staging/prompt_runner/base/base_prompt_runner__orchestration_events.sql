with

source as (
    {{ without_held_batches(source('prompt_runner', 'orchestration_events')) }}
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

        -- booleans
        {{ is_plausible_time('"timestamp"') }} as is_occurred_at_plausible,

        -- timestamps
        "timestamp" as occurred_at,
        {{ plausible_date('"timestamp"') }} as event_date,

        -- loader
        _load_id,
        _effective_loaded_at as _loaded_at,
        _ingest_seq
    from source
)

select * from final
