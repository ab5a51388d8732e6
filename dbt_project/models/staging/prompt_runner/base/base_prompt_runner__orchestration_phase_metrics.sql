with

source as (
    {{ without_held_batches(source('prompt_runner', 'orchestration_phase_metrics')) }}
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
        {{ is_plausible_time('started_at') }} as is_started_at_plausible,

        -- timestamps
        started_at,
        completed_at,
        created_at,
        {{ plausible_date('started_at') }} as phase_date,

        -- loader
        _load_id,
        _effective_loaded_at as _loaded_at,
        _ingest_seq
    from source
)

select * from final
