-- Summed over every day, metrics_daily gives back the facts' own totals up to the as_of
-- date: the numerator and denominator of each metric are the facts' counts and sums,
-- nothing lost on the spine and nothing counted twice. A row here names the metric and
-- total that differ; check the metric's branch in metrics_daily and its date column.

{# Dagster shows this test as a check on metrics_daily (a test of several
   models has no single asset of its own): dagster-dbt reads meta.dagster.ref. #}
{{ config(meta={'dagster': {'ref': {'name': 'metrics_daily'}}}) }}

with

metrics as (
    select * from {{ ref('metrics_daily') }}
),

feedback as (
    select * from {{ ref('fct_feedback') }}
),

builds as (
    select * from {{ ref('int_project_builds') }}
),

sessions as (
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
        sum(overall_satisfaction)::double precision as numerator,
        count(*)::double precision as denominator
    from feedback cross join last_day
    where submitted_date <= last_day.last_date
    union all
    select
        'nps',
        100.0 * (
            count(*) filter (where likelihood_to_reuse >= 9)
            - count(*) filter (where likelihood_to_reuse <= 6)
        ),
        count(*)
    from feedback cross join last_day
    where submitted_date <= last_day.last_date and likelihood_to_reuse is not null
    union all
    select
        'build_success_rate',
        100.0 * count(*) filter (where build_status = 'success'),
        count(*)
    from builds cross join last_day
    where built_date <= last_day.last_date
    union all
    select
        'sessions',
        count(*),
        null
    from sessions cross join last_day
    where created_date <= last_day.last_date
    union all
    select
        'session_success_rate',
        100.0 * count(*) filter (where is_successful),
        count(is_successful)
    from sessions cross join last_day
    where created_date <= last_day.last_date
    union all
    select
        'tokens',
        coalesce(sum(total_tokens), 0),
        null
    from phase_executions cross join last_day
    where phase_date <= last_day.last_date
    union all
    select
        'event_error_rate',
        100.0 * count(*) filter (where is_error),
        count(*)
    from events cross join last_day
    where event_date <= last_day.last_date
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
