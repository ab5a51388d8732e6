with

source as (
    select * from {{ source('prompt_runner', 'orchestration_phase_metrics') }}
),

-- No updated_at on this entity: the version loaded last is the current one.
current_versions as (
    {{ keep_latest_version('source', partition_by=['id']) }}
),

-- The source allows one row per session and phase; should two ids claim the same pair,
-- the one loaded last wins.
one_per_session_phase as (
    {{ keep_latest_version('current_versions', partition_by=['session_id', 'phase']) }}
),

final as (
    select
        -- ids
        id as phase_metric_id,
        session_id,

        -- strings
        nullif(phase, '')::text as phase,
        nullif(model_used, '')::text as model_used,
        nullif(copy_paste_method, '')::text as copy_paste_method,
        nullif(input_method, '')::text as input_method,
        nullif(error_type, '')::text as error_type,
        nullif(error_message, '') as error_message,

        -- json
        metadata,

        -- numerics
        phase_index,
        duration_seconds,
        idle_time_seconds,
        prompt_tokens,
        completion_tokens,
        total_tokens,
        temperature,
        output_length,
        validation_errors,
        validation_warnings,
        edit_count,

        -- booleans
        template_extraction_success as is_template_extracted,
        user_edits as has_user_edits,
        error_occurred as has_error,
        error_recovered as is_error_recovered,

        -- timestamps
        started_at,
        completed_at,
        created_at,

        -- loader
        _load_id,
        _loaded_at
    from one_per_session_phase
)

select * from final
