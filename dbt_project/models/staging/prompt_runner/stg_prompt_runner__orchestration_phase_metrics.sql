with

phase_metrics as (
    select * from {{ ref('base_prompt_runner__orchestration_phase_metrics') }}
),

-- No updated_at on this entity: the version loaded last is the current one.
current_versions as (
    {{ keep_latest_version('phase_metrics', partition_by=['phase_metric_id']) }}
),

-- The source allows one row per session and phase; should two ids claim the same pair,
-- the one loaded last wins.
one_per_session_phase as (
    {{ keep_latest_version('current_versions', partition_by=['session_id', 'phase']) }}
),

final as (
    select
        -- ids
        phase_metric_id,
        session_id,

        -- strings
        phase,
        model_used,
        copy_paste_method,
        input_method,
        error_type,
        error_message,

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
        is_template_extracted,
        has_user_edits,
        has_error,
        is_error_recovered,

        -- timestamps
        started_at,
        completed_at,
        created_at,
        phase_date,

        -- loader
        _load_id,
        _loaded_at
    from one_per_session_phase
)

select * from final
