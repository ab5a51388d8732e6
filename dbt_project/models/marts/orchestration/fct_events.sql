{{
    config(
        materialized='incremental',
        incremental_strategy=var('incremental_strategy', 'delete+insert'),
        unique_key='event_id',
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ heavy_query_settings() }}",
            "{{ rebuild_if_inputs_were_reset() }}",
        ],
        indexes=[
            {'columns': ['event_id'], 'unique': true},
            {'columns': ['session_id']},
            {'columns': ['event_date']},
            {'columns': ['_loaded_at']},
        ],
    )
}}

with

events as (
    select * from {{ ref('base_prompt_runner__orchestration_events') }}
    {% if is_incremental() -%}
    where {{ incremental_rows(
        ref('base_prompt_runner__orchestration_events'), ['event_id'], 'event_date'
    ) }}
    {%- endif %}
),

-- Append-only, so the version loaded last is the current one; it is always among the rows
-- read above (they include everything loaded since the last build).
current_versions as (
    {{ keep_latest_version('events', partition_by=['event_id']) }}
),

final as (
    select
        -- ids
        event_id,
        session_id,

        -- dates
        event_date,
        occurred_at,
        is_occurred_at_plausible,

        -- what happened
        event_type,
        event_category,
        phase,
        command,
        result,
        coalesce(event_category = 'error' or event_type = 'error_occurred', false) as is_error,
        error_details,
        duration_ms,

        -- context
        user_identifier,
        session_version,
        parameters,
        metadata,

        -- loader
        _loaded_at
    from current_versions
)

select * from final
