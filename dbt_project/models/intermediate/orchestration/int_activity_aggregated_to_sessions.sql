{#
    Per-session totals of the two high-volume facts, kept incrementally so that fct_sessions
    never re-reads every event: a run recomputes, from all their rows, only the sessions that
    have an event or phase execution to rebuild (loaded in the lookback window, or dated in
    the reprocess range).
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
            {'columns': ['_loaded_at']},
        ],
    )
}}

{%- set window = reprocess_window() %}

with

{% if is_incremental() -%}
-- The sessions to recompute: those with an event or phase execution to rebuild.
sessions_to_rebuild as (
    select session_id
    from {{ ref('fct_events') }}
    where
        {% if window is not none -%}
        event_date >= '{{ window.start }}'::date and event_date < '{{ window.end }}'::date
        {%- else -%}
        _loaded_at >= {{ incremental_watermark() }}
        {%- endif %}
    union
    select session_id
    from {{ ref('fct_phase_executions') }}
    where
        {% if window is not none -%}
        phase_date >= '{{ window.start }}'::date and phase_date < '{{ window.end }}'::date
        {%- else -%}
        _loaded_at >= {{ incremental_watermark() }}
        {%- endif %}
),

{% endif -%}
-- Each import is read once below, so Postgres inlines it and the session filter reaches the
-- index on session_id instead of materializing the whole fact.
events as (
    select * from {{ ref('fct_events') }}
    {% if is_incremental() -%}
    where session_id in (select session_id from sessions_to_rebuild)
    {%- endif %}
),

phase_executions as (
    select * from {{ ref('fct_phase_executions') }}
    {% if is_incremental() -%}
    where session_id in (select session_id from sessions_to_rebuild)
    {%- endif %}
),

events_per_session as (
    select
        session_id,
        count(*) as event_count,
        count(*) filter (where is_error) as error_event_count,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at,
        max(_loaded_at) as last_loaded_at
    from events
    group by 1
),

phases_per_session as (
    select
        session_id,
        count(*) as phase_execution_count,
        count(*) filter (where is_completed) as completed_phase_count,
        count(*) filter (where has_error) as errored_phase_count,
        sum(prompt_tokens) as prompt_tokens,
        sum(completion_tokens) as completion_tokens,
        sum(total_tokens) as total_tokens,
        -- numeric sums: exact, so the result does not depend on row order
        sum(duration_seconds::numeric) as phase_duration_seconds,
        sum(idle_time_seconds::numeric) as idle_time_seconds,
        sum(edit_count) as edit_count,
        sum(validation_errors) as validation_errors,
        max(_loaded_at) as last_loaded_at
    from phase_executions
    group by 1
),

final as (
    select
        coalesce(events_per_session.session_id, phases_per_session.session_id) as session_id,

        -- events
        coalesce(events_per_session.event_count, 0)::bigint as event_count,
        coalesce(events_per_session.error_event_count, 0)::bigint as error_event_count,
        events_per_session.first_event_at,
        events_per_session.last_event_at,

        -- phase executions
        coalesce(phases_per_session.phase_execution_count, 0)::bigint as phase_execution_count,
        coalesce(phases_per_session.completed_phase_count, 0)::bigint as completed_phase_count,
        coalesce(phases_per_session.errored_phase_count, 0)::bigint as errored_phase_count,
        phases_per_session.prompt_tokens::bigint as prompt_tokens,
        phases_per_session.completion_tokens::bigint as completion_tokens,
        phases_per_session.total_tokens::bigint as total_tokens,
        phases_per_session.phase_duration_seconds::double precision as phase_duration_seconds,
        phases_per_session.idle_time_seconds::double precision as idle_time_seconds,
        phases_per_session.edit_count::bigint as edit_count,
        phases_per_session.validation_errors::bigint as validation_errors,

        -- loader
        greatest(events_per_session.last_loaded_at, phases_per_session.last_loaded_at)
            as _loaded_at
    from events_per_session
    full outer join phases_per_session
        on events_per_session.session_id = phases_per_session.session_id
)

select * from final
