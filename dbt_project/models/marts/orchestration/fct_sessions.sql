{#
    Incremental: a run rebuilds the sessions whose current version or whose event and phase
    totals changed since the last build (loaded in the lookback window), or, with the
    reprocess vars, the sessions created or active in that date range.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy=var('incremental_strategy', 'delete+insert'),
        unique_key='session_id',
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ heavy_query_settings() }}",
            "{{ rebuild_if_inputs_were_reset() }}",
        ],
        indexes=[
            {'columns': ['session_id'], 'unique': true},
            {'columns': ['user_identifier']},
            {'columns': ['created_date']},
            {'columns': ['status']},
            {'columns': ['_loaded_at']},
        ],
    )
}}

-- depends_on: {{ ref('fct_events') }}
-- depends_on: {{ ref('fct_phase_executions') }}
{# (read only by a reprocess run, inside is_incremental(), which parsing does not render) #}

{% set phases = ['planning', 'analysis', 'implementation', 'testing', 'cleaning'] %}
{%- set window = reprocess_window() %}

with

{% if is_incremental() -%}
sessions_to_rebuild as (
    {% if window is not none -%}
    select session_id
    from {{ ref('stg_prompt_runner__orchestration_sessions') }}
    where created_date >= '{{ window.start }}'::date and created_date < '{{ window.end }}'::date
    union
    select session_id
    from {{ ref('fct_events') }}
    where event_date >= '{{ window.start }}'::date and event_date < '{{ window.end }}'::date
    union
    select session_id
    from {{ ref('fct_phase_executions') }}
    where phase_date >= '{{ window.start }}'::date and phase_date < '{{ window.end }}'::date
    {%- else -%}
    select session_id
    from {{ ref('stg_prompt_runner__orchestration_sessions') }}
    where _loaded_at >= {{ incremental_watermark() }}
    union
    select session_id
    from {{ ref('int_activity_aggregated_to_sessions') }}
    where _loaded_at >= {{ incremental_watermark() }}
    {%- endif %}
),

{% endif -%}
sessions as (
    select * from {{ ref('stg_prompt_runner__orchestration_sessions') }}
    {% if is_incremental() -%}
    where session_id in (select session_id from sessions_to_rebuild)
    {%- endif %}
),

activity as (
    select * from {{ ref('int_activity_aggregated_to_sessions') }}
    {% if is_incremental() -%}
    where session_id in (select session_id from sessions_to_rebuild)
    {%- endif %}
),

final as (
    select
        -- ids
        sessions.session_id,
        sessions.project_id,
        sessions.user_identifier,

        -- classification
        sessions.status,
        sessions.session_type,
        sessions.feature_category,
        sessions.complexity_score,
        {{ complexity_category('sessions.complexity_score') }} as complexity_band,

        -- outcome
        sessions.is_successful,
        {%- for phase in phases %}
        sessions.is_{{ phase }}_successful,
        {%- endfor %}
        (
            {%- for phase in phases %}
            (sessions.{{ phase }}_started_at is not null)::integer
            {%- if not loop.last %} +{% endif %}
            {%- endfor %}
        ) as phases_reached,
        -- the last phase of the workflow the session started
        case
            {%- for phase in phases | reverse %}
            when sessions.{{ phase }}_started_at is not null then '{{ phase }}'
            {%- endfor %}
            else null
        end as last_phase_reached,

        -- phase timing
        {%- for phase in phases %}
        sessions.{{ phase }}_started_at,
        sessions.{{ phase }}_completed_at,
        {%- endfor %}

        -- templates (keys of dim_templates with the phase as template_type)
        {%- for phase in phases %}
        sessions.{{ phase }}_template_hash,
        {%- endfor %}

        -- effort and estimation
        sessions.total_duration_seconds,
        sessions.active_duration_seconds,
        sessions.retry_count,
        sessions.manual_interventions,
        sessions.estimated_hours,
        sessions.actual_hours,
        sessions.actual_hours - sessions.estimated_hours as estimation_error_hours,
        sessions.accuracy_score,

        -- developer experience
        sessions.developer_rating,
        sessions.would_recommend,
        sessions.time_saved_hours,

        -- activity (events and phase executions)
        coalesce(activity.event_count, 0) as event_count,
        coalesce(activity.error_event_count, 0) as error_event_count,
        activity.first_event_at,
        activity.last_event_at,
        coalesce(activity.phase_execution_count, 0) as phase_execution_count,
        coalesce(activity.errored_phase_count, 0) as errored_phase_count,
        activity.prompt_tokens,
        activity.completion_tokens,
        activity.total_tokens,
        activity.phase_duration_seconds,
        activity.edit_count,

        -- timestamps
        sessions.created_at,
        sessions.created_date,
        sessions.updated_at,

        -- loader
        greatest(sessions._loaded_at, activity._loaded_at) as _loaded_at
    from sessions
    left join activity
        on sessions.session_id = activity.session_id
)

select * from final
