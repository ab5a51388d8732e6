with

source as (
    {{ without_held_batches(source('prompt_runner', 'orchestration_sessions')) }}
),

final as (
    select
        -- ids
        id as session_id,
        project_id,

        -- strings
        nullif(feature_request, '') as feature_request,
        nullif(status, '')::text as status,
        nullif(user_identifier, '')::text as user_identifier,
        nullif(session_type, '')::text as session_type,
        nullif(orchestrator_prompt, '') as orchestrator_prompt,
        nullif(orchestrator_output, '') as orchestrator_output,
        {%- for phase in var('phases') %}
        nullif({{ phase }}_template, '') as {{ phase }}_template,
        {%- endfor %}
        {#- planning has no results column in the source #}
        {%- for phase in var('phases')[1:] %}
        nullif({{ phase }}_results, '') as {{ phase }}_results,
        {%- endfor %}
        nullif(developer_feedback, '') as developer_feedback,

        -- json
        metadata,
        nullif(metadata ->> 'feature_category', '') as feature_category,

        -- numerics
        session_version,
        total_duration_seconds,
        active_duration_seconds,
        retry_count,
        manual_interventions,
        developer_rating,
        time_saved_hours,
        complexity_score,
        estimated_hours,
        actual_hours,
        accuracy_score,

        -- booleans
        {%- for phase in var('phases') %}
        {{ phase }}_success as is_{{ phase }}_successful,
        {%- endfor %}
        overall_success as is_successful,
        would_recommend,
        {{ is_plausible_time('created_at') }} as is_created_at_plausible,

        -- timestamps
        {%- for phase in var('phases') %}
        {{ phase }}_started_at,
        {{ phase }}_completed_at,
        {%- endfor %}
        created_at,
        {{ plausible_date('created_at') }} as created_date,
        updated_at,

        -- loader
        _load_id,
        _effective_loaded_at as _loaded_at,
        _ingest_seq
    from source
)

select * from final
