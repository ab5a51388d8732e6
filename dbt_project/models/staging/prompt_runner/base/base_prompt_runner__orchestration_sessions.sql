{% set phases = ['planning', 'analysis', 'implementation', 'testing', 'cleaning'] %}

with

source as (
    select * from {{ source('prompt_runner', 'orchestration_sessions') }}
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
        {%- for phase in phases %}
        nullif({{ phase }}_template, '') as {{ phase }}_template,
        {%- endfor %}
        nullif(analysis_results, '') as analysis_results,
        nullif(implementation_results, '') as implementation_results,
        nullif(testing_results, '') as testing_results,
        nullif(cleaning_results, '') as cleaning_results,
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
        {%- for phase in phases %}
        {{ phase }}_success as is_{{ phase }}_successful,
        {%- endfor %}
        overall_success as is_successful,
        would_recommend,

        -- timestamps
        {%- for phase in phases %}
        {{ phase }}_started_at,
        {{ phase }}_completed_at,
        {%- endfor %}
        created_at,
        (created_at at time zone 'utc')::date as created_date,
        updated_at,

        -- loader
        _load_id,
        _loaded_at,
        _ingest_seq
    from source
)

select * from final
