with

events as (
    select * from {{ ref('base_prompt_runner__orchestration_events') }}
),

-- Append-only: an id should arrive once; if a conflicting re-delivery exists, the version
-- loaded last wins.
current_versions as (
    {{ keep_latest_version('events', partition_by=['event_id']) }}
),

final as (
    select
        -- ids
        event_id,
        session_id,

        -- strings
        event_type,
        event_category,
        phase,
        command,
        result,
        user_identifier,
        error_details,

        -- json
        parameters,
        metadata,

        -- numerics
        duration_ms,
        session_version,

        -- timestamps
        occurred_at,
        event_date,

        -- loader
        _load_id,
        _loaded_at
    from current_versions
)

select * from final
