-- The aggregates built from the event and phase facts add up to the facts themselves:
-- fct_events_daily to fct_events (events with a date), and the per-session totals of
-- fct_sessions to both facts. A row here names the total that differs: an incremental run
-- rebuilt a day or a session from partial data; check fct_sessions' sessions_to_rebuild
-- and fct_events_daily's day selection first.
--
-- On a nightly run (var tests_changed_since set) the totals are compared over what the night
-- changed, read through the indexes on _loaded_at, event_date and session_id: the days with a
-- row loaded since changed_since() in fct_events or fct_events_daily, and the sessions with
-- one in fct_sessions, fct_events or fct_phase_executions. On every other run, over all rows.

{# Dagster shows this test as a check on fct_events_daily (a test of several
   models has no single asset of its own): dagster-dbt reads meta.dagster.ref. #}
{{ config(meta={'dagster': {'ref': {'name': 'fct_events_daily'}}}) }}
{%- set night = tests_scoped() %}

with

-- Each is read more than once: not materialized, so Postgres inlines every read and each
-- filter reaches the table's indexes (a materialized CTE copies the whole table first).
events as not materialized (
    select * from {{ ref('fct_events') }}
),

phase_executions as not materialized (
    select * from {{ ref('fct_phase_executions') }}
),

events_daily as not materialized (
    select * from {{ ref('fct_events_daily') }}
),

sessions as not materialized (
    select * from {{ ref('fct_sessions') }}
),

{% if night -%}
days_changed as (
    select events_daily.event_date
    from events_daily
    where {{ changed_rows('events_daily._loaded_at') }}
    union
    select events.event_date
    from events
    where {{ changed_rows('events._loaded_at') }} and events.event_date is not null
),

sessions_changed as (
    select sessions.session_id
    from sessions
    where {{ changed_rows('sessions._loaded_at') }}
    union
    select events.session_id
    from events
    where {{ changed_rows('events._loaded_at') }}
    union
    select phase_executions.session_id
    from phase_executions
    where {{ changed_rows('phase_executions._loaded_at') }}
),

{% endif -%}
-- the events of the days compared
dated_events as (
    select events.*
    from events
    where events.event_date is not null
),

dated_events_compared as (
    select dated_events.*
    from dated_events
    {%- if night %}
    where dated_events.event_date in (select days_changed.event_date from days_changed)
    {%- endif %}
),

-- the sessions compared, and their events and phase executions
sessions_compared as (
    select sessions.*
    from sessions
    {%- if night %}
    where sessions.session_id in (select sessions_changed.session_id from sessions_changed)
    {%- endif %}
),

fact_totals as (
    select
        count(*) as dated_events,
        count(*) filter (where dated_events_compared.is_error) as dated_error_events,
        coalesce(sum(dated_events_compared.duration_ms), 0) as dated_duration_ms
    from dated_events_compared
),

session_event_totals as (
    select count(*) as events_of_known_sessions
    from events
    where events.session_id in (select sessions_compared.session_id from sessions_compared)
),

phase_totals as (
    select
        count(*) as phase_executions,
        sum(phase_executions.total_tokens) as total_tokens
    from phase_executions
    where
        phase_executions.session_id in (
            select sessions_compared.session_id from sessions_compared
        )
),

daily_totals as (
    select
        coalesce(sum(events_daily.event_count), 0) as dated_events,
        coalesce(sum(events_daily.error_event_count), 0) as dated_error_events,
        coalesce(sum(events_daily.total_duration_ms), 0) as dated_duration_ms
    from events_daily
    {%- if night %}
    where events_daily.event_date in (select days_changed.event_date from days_changed)
    {%- endif %}
),

session_totals as (
    select
        coalesce(sum(sessions_compared.event_count), 0) as events,
        coalesce(sum(sessions_compared.phase_execution_count), 0) as phase_executions,
        sum(sessions_compared.total_tokens) as total_tokens
    from sessions_compared
),

comparisons as (
    select
        'fct_events_daily.event_count' as total_name,
        fact_totals.dated_events as expected,
        daily_totals.dated_events as actual
    from fact_totals
    cross join daily_totals
    union all
    select
        'fct_events_daily.error_event_count' as total_name,
        fact_totals.dated_error_events as expected,
        daily_totals.dated_error_events as actual
    from fact_totals
    cross join daily_totals
    union all
    select
        'fct_events_daily.total_duration_ms' as total_name,
        fact_totals.dated_duration_ms as expected,
        daily_totals.dated_duration_ms as actual
    from fact_totals
    cross join daily_totals
    union all
    select
        'fct_sessions.event_count' as total_name,
        session_event_totals.events_of_known_sessions as expected,
        session_totals.events as actual
    from session_event_totals
    cross join session_totals
    union all
    select
        'fct_sessions.phase_execution_count' as total_name,
        phase_totals.phase_executions as expected,
        session_totals.phase_executions as actual
    from phase_totals
    cross join session_totals
    union all
    select
        'fct_sessions.total_tokens' as total_name,
        phase_totals.total_tokens as expected,
        session_totals.total_tokens as actual
    from phase_totals
    cross join session_totals
),

final as (
    select *
    from comparisons
    where expected is distinct from actual
)

select * from final
