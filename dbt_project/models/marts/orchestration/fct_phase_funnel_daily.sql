{#
    phase_funnel's counts, kept incrementally: one row per phase and UTC day of the session's
    creation ('-infinity' for a session without a plausible creation date), with the session
    counts phase_funnel adds up (counts of sessions, so the total over days is exact).

    Every session counts in all phases' rows of its day, reached or not, so a day that has
    sessions always has its five rows, and a recount replaces every one of them.

    An incremental run recomputes whole days (delete+insert keyed on session_date): every day
    of a session that has a row to rebuild in fct_sessions or fct_phase_executions
    (sessions_to_rebuild()), from all the sessions of that day. A session whose new version
    moved to another creation day leaves its old day as it was, as in
    fct_phase_executions_daily; a full refresh recounts it.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='session_date',
        on_schema_change='append_new_columns',
        pre_hook="{{ rebuild_if_inputs_were_reset() }}",
        indexes=[
            {'columns': ['session_date']},
            {'columns': ['_loaded_at']},
        ],
    )
}}

with

-- Each import is read twice in an incremental run (the sessions to rebuild, then their
-- rows): `not materialized` lets Postgres inline both reads, so each filter reaches an index.
-- The ids and days an incremental run reads by are arrays: `in (select ...)` over a CTE
-- Postgres cannot size made it scan and hash all of fct_sessions and fct_phase_executions
-- (606k and 2.7M rows at 10M events) for a night's 3k sessions.
sessions as not materialized (
    select
        session_id,
        created_date,
        {%- for phase in var('phases') %}
        {{ phase }}_started_at,
        is_{{ phase }}_successful,
        {%- endfor %}
        _loaded_at
    from {{ ref('fct_sessions') }}
),

phase_executions as not materialized (
    select
        session_id,
        phase,
        phase_date,
        has_error,
        _loaded_at
    from {{ ref('fct_phase_executions') }}
),

{% if is_incremental() -%}
sessions_to_rebuild as (
    {{ sessions_to_rebuild([
        ('sessions', 'created_date'),
        ('phase_executions', 'phase_date'),
    ]) }}
),

-- The UTC days of those sessions ('-infinity' for a session without a creation date).
days_to_rebuild as (
    select distinct coalesce(sessions.created_date, '-infinity'::date) as session_date
    from sessions
    where
        sessions.session_id = any(
            array(select sessions_to_rebuild.session_id from sessions_to_rebuild)
        )
),

{% endif -%}
sessions_rebuilt as (
    select
        sessions.*,
        coalesce(sessions.created_date, '-infinity'::date) as session_date
    from sessions
    {%- if is_incremental() %}
    where
        sessions.created_date = any(array(select days_to_rebuild.session_date from days_to_rebuild))
        or (
            sessions.created_date is null
            and '-infinity'::date in (select days_to_rebuild.session_date from days_to_rebuild)
        )
    {%- endif %}
),

-- One row per session and phase, reached or not.
session_phases as (
    {%- for phase in var('phases') %}
    select
        session_id,
        session_date,
        '{{ phase }}'::text as phase,
        {{ loop.index }} as phase_order,
        {{ phase }}_started_at is not null as is_phase_reached,
        is_{{ phase }}_successful as is_phase_successful,
        _loaded_at
    from sessions_rebuilt
    {% if not loop.last -%}
    union all
    {%- endif %}
    {%- endfor %}
),

session_phases_with_errors as (
    select
        session_phases.*,
        coalesce(phase_executions.has_error, false) as has_error,
        phase_executions._loaded_at as execution_loaded_at
    from session_phases
    left join phase_executions
        on
            session_phases.session_id = phase_executions.session_id
            and session_phases.phase = phase_executions.phase
    {% if is_incremental() -%}
            and phase_executions.session_id = any(
                array(select sessions_rebuilt.session_id from sessions_rebuilt)
            )
            {%- endif %}
),

final as (
    select
        phase,
        phase_order,
        session_date,
        count(*) filter (where is_phase_reached)::bigint as sessions_reached,
        count(is_phase_successful) filter (where is_phase_reached)::bigint
            as sessions_finished,
        count(*) filter (where is_phase_reached and is_phase_successful)::bigint
            as sessions_succeeded,
        count(*) filter (
            where is_phase_reached and is_phase_successful and not has_error
        )::bigint as first_pass_count,
        greatest(max(_loaded_at), max(execution_loaded_at)) as _loaded_at
    from session_phases_with_errors
    group by 1, 2, 3
)

select * from final
