-- Summed over every day, metrics_daily gives back the facts' own totals up to the as_of
-- date: the numerator and denominator of each metric are the facts' counts and sums,
-- nothing lost on the spine and nothing counted twice. A row here names the metric and
-- total that differ; check the metric's branch in metrics_daily and its date column.

{# Dagster shows this test as a check on metrics_daily (a test of several
   models has no single asset of its own): dagster-dbt reads meta.dagster.ref. #}
{{ config(meta={'dagster': {'ref': {'name': 'metrics_daily'}}}) }}

with

metrics as not materialized (
    select * from {{ ref('metrics_daily') }}
),

feedback as not materialized (
    select * from {{ ref('fct_feedback') }}
),

builds as (
    select * from {{ ref('int_project_builds') }}
),

sessions as not materialized (
    select * from {{ ref('fct_sessions') }}
),

phase_executions as (
    select * from {{ ref('fct_phase_executions') }}
),

events as (
    select * from {{ ref('fct_events') }}
),

last_day as (
    select max(metric_date) as last_date from metrics
),

expected as (
    select
        'satisfaction' as metric,
        sum(feedback.overall_satisfaction)::double precision as numerator,
        count(*)::double precision as denominator
    from feedback
    cross join last_day
    where feedback.submitted_date <= last_day.last_date
    union all
    select
        'nps' as metric,
        100.0 * (
            count(*) filter (where feedback.likelihood_to_reuse >= 9)
            - count(*) filter (where feedback.likelihood_to_reuse <= 6)
        ) as numerator,
        count(*) as denominator
    from feedback
    cross join last_day
    where
        feedback.submitted_date <= last_day.last_date
        and feedback.likelihood_to_reuse is not null
    union all
    select
        'build_success_rate' as metric,
        100.0 * count(*) filter (where builds.build_status = 'success') as numerator,
        count(*) as denominator
    from builds
    cross join last_day
    where builds.built_date <= last_day.last_date
    union all
    select
        'sessions' as metric,
        count(*) as numerator,
        null as denominator
    from sessions
    cross join last_day
    where sessions.created_date <= last_day.last_date
    union all
    select
        'session_success_rate' as metric,
        100.0 * count(*) filter (where sessions.is_successful) as numerator,
        count(sessions.is_successful) as denominator
    from sessions
    cross join last_day
    where sessions.created_date <= last_day.last_date
    union all
    select
        'tokens' as metric,
        coalesce(sum(phase_executions.total_tokens), 0) as numerator,
        null as denominator
    from phase_executions
    cross join last_day
    where phase_executions.phase_date <= last_day.last_date
    union all
    select
        'event_error_rate' as metric,
        100.0 * count(*) filter (where events.is_error) as numerator,
        count(*) as denominator
    from events
    cross join last_day
    where events.event_date <= last_day.last_date
),

actual as (
    select
        metric,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from metrics
    group by 1
),

final as (
    select
        expected.metric,
        expected.numerator as expected_numerator,
        actual.numerator as actual_numerator,
        expected.denominator as expected_denominator,
        actual.denominator as actual_denominator
    from expected
    inner join actual
        on expected.metric = actual.metric
    where
        abs(expected.numerator - actual.numerator) > 1e-6 * greatest(1, abs(expected.numerator))
        or (
            expected.denominator is not null
            and abs(expected.denominator - actual.denominator) > 1e-9
        )
)

select * from final
