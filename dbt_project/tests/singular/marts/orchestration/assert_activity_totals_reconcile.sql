-- The aggregates built from the event and phase facts add up to the facts themselves:
-- fct_events_daily to fct_events (events with a date), and the per-session totals of
-- fct_sessions to both facts. A row here names the total that differs: an incremental run
-- rebuilt a day or a session from partial data; check fct_sessions' sessions_to_rebuild
-- and fct_events_daily's day selection first.

{# Dagster shows this test as a check on fct_events_daily (a test of several
   models has no single asset of its own): dagster-dbt reads meta.dagster.ref. #}
{{ config(meta={'dagster': {'ref': {'name': 'fct_events_daily'}}}) }}

with

events as (
    select * from {{ ref('fct_events') }}
),

phase_executions as (
    select * from {{ ref('fct_phase_executions') }}
),

events_daily as (
    select * from {{ ref('fct_events_daily') }}
),

sessions as (
    select * from {{ ref('fct_sessions') }}
),

fact_totals as (
    select
        count(*) filter (where events.event_date is not null) as dated_events,
        count(*) filter (
            where events.event_date is not null and events.is_error
        ) as dated_error_events,
        count(*) filter (
            where events.session_id in (select sessions.session_id from sessions)
        ) as events_of_known_sessions,
        coalesce(
            sum(events.duration_ms) filter (where events.event_date is not null), 0
        ) as dated_duration_ms
    from events
),

phase_totals as (
    select
        count(*) as phase_executions,
        sum(phase_executions.total_tokens) as total_tokens
    from phase_executions
    where phase_executions.session_id in (select sessions.session_id from sessions)
),

daily_totals as (
    select
        coalesce(sum(event_count), 0) as dated_events,
        coalesce(sum(error_event_count), 0) as dated_error_events,
        coalesce(sum(total_duration_ms), 0) as dated_duration_ms
    from events_daily
),

session_totals as (
    select
        coalesce(sum(event_count), 0) as events,
        coalesce(sum(phase_execution_count), 0) as phase_executions,
        sum(total_tokens) as total_tokens
    from sessions
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
        fact_totals.events_of_known_sessions as expected,
        session_totals.events as actual
    from fact_totals
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
