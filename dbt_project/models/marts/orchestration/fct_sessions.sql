{#
    Incremental: a run recomputes, from all their rows, the sessions whose current version or
    whose events or phase executions have a row to rebuild (sessions_to_rebuild(): loaded
    since the last build, minus the lookback; with the reprocess vars, the sessions created
    or active in that date range). Their totals are summed here from the facts, so no
    session's events are read unless the session is rebuilt.
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

with

-- Each import is read twice in an incremental run (the sessions to rebuild, then their
-- rows): `not materialized` lets Postgres inline both reads, so each filter reaches the
-- indexes on session_id and _loaded_at instead of copying a whole fact.
sessions as not materialized (
    select * from {{ ref('stg_prompt_runner__orchestration_sessions') }}
),

events as not materialized (
    select * from {{ ref('fct_events') }}
),

phase_executions as not materialized (
    select * from {{ ref('fct_phase_executions') }}
),

{% if is_incremental() -%}
sessions_to_rebuild as (
    {{ sessions_to_rebuild([
        ('sessions', 'created_date'),
        ('events', 'event_date'),
        ('phase_executions', 'phase_date'),
    ]) }}
),

{% endif -%}
sessions_rebuilt as (
    select *
    from sessions
    {% if is_incremental() -%}
    where session_id in (select session_id from sessions_to_rebuild)
    {%- endif %}
),

events_per_session as (
    select
        session_id,
        count(*) as event_count,
        count(*) filter (where is_error) as error_event_count,
        -- an event at an implausible time (year 1, year 10000) is counted, not placed
        min(occurred_at) filter (where is_occurred_at_plausible) as first_event_at,
        max(occurred_at) filter (where is_occurred_at_plausible) as last_event_at,
        max(_loaded_at) as last_loaded_at
    from events
    {% if is_incremental() -%}
    where session_id in (select session_id from sessions_to_rebuild)
    {%- endif %}
    group by 1
),

phases_per_session as (
    select
        session_id,
        count(*) as phase_execution_count,
        count(*) filter (where has_error) as errored_phase_count,
        sum(prompt_tokens) as prompt_tokens,
        sum(completion_tokens) as completion_tokens,
        sum(total_tokens) as total_tokens,
        -- numeric sums: exact, so the result does not depend on row order
        sum(duration_seconds::numeric) as phase_duration_seconds,
        sum(edit_count) as edit_count,
        max(_loaded_at) as last_loaded_at
    from phase_executions
    {% if is_incremental() -%}
    where session_id in (select session_id from sessions_to_rebuild)
    {%- endif %}
    group by 1
),

final as (
    select
        -- ids
        sessions_rebuilt.session_id,
        sessions_rebuilt.project_id,
        sessions_rebuilt.user_identifier,

        -- classification
        sessions_rebuilt.status,
        sessions_rebuilt.session_type,
        sessions_rebuilt.feature_category,
        sessions_rebuilt.complexity_score,
        {{ complexity_category('sessions_rebuilt.complexity_score') }} as complexity_band,

        -- outcome
        sessions_rebuilt.is_successful,
        {%- for phase in var('phases') %}
        sessions_rebuilt.is_{{ phase }}_successful,
        {%- endfor %}
        (
            {%- for phase in var('phases') %}
            (sessions_rebuilt.{{ phase }}_started_at is not null)::integer
            {%- if not loop.last %} +{% endif %}
            {%- endfor %}
        ) as phases_reached,
        -- the last phase of the workflow the session started
        case
            {%- for phase in var('phases') | reverse %}
            when sessions_rebuilt.{{ phase }}_started_at is not null then '{{ phase }}'
            {%- endfor %}
            else null
        end as last_phase_reached,

        -- phase timing
        {%- for phase in var('phases') %}
        sessions_rebuilt.{{ phase }}_started_at,
        sessions_rebuilt.{{ phase }}_completed_at,
        {%- endfor %}

        -- templates (keys of dim_templates with the phase as template_type)
        {%- for phase in var('phases') %}
        sessions_rebuilt.{{ phase }}_template_hash,
        {%- endfor %}

        -- effort and estimation
        sessions_rebuilt.total_duration_seconds,
        sessions_rebuilt.active_duration_seconds,
        sessions_rebuilt.retry_count,
        sessions_rebuilt.manual_interventions,
        sessions_rebuilt.estimated_hours,
        sessions_rebuilt.actual_hours,
        sessions_rebuilt.actual_hours - sessions_rebuilt.estimated_hours as estimation_error_hours,
        sessions_rebuilt.accuracy_score,

        -- developer experience
        sessions_rebuilt.developer_rating,
        sessions_rebuilt.would_recommend,
        sessions_rebuilt.time_saved_hours,

        -- activity (events and phase executions)
        coalesce(events_per_session.event_count, 0)::bigint as event_count,
        coalesce(events_per_session.error_event_count, 0)::bigint as error_event_count,
        events_per_session.first_event_at,
        events_per_session.last_event_at,
        coalesce(phases_per_session.phase_execution_count, 0)::bigint as phase_execution_count,
        coalesce(phases_per_session.errored_phase_count, 0)::bigint as errored_phase_count,
        phases_per_session.prompt_tokens::bigint as prompt_tokens,
        phases_per_session.completion_tokens::bigint as completion_tokens,
        phases_per_session.total_tokens::bigint as total_tokens,
        phases_per_session.phase_duration_seconds::double precision as phase_duration_seconds,
        phases_per_session.edit_count::bigint as edit_count,

        -- timestamps
        sessions_rebuilt.is_created_at_plausible,
        sessions_rebuilt.created_at,
        sessions_rebuilt.created_date,
        sessions_rebuilt.updated_at,

        -- loader
        greatest(
            sessions_rebuilt._loaded_at,
            events_per_session.last_loaded_at,
            phases_per_session.last_loaded_at
        ) as _loaded_at
    from sessions_rebuilt
    left join events_per_session
        on sessions_rebuilt.session_id = events_per_session.session_id
    left join phases_per_session
        on sessions_rebuilt.session_id = phases_per_session.session_id
)

select * from final
