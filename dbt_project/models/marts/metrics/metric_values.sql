{#
    The values of the trend metrics of the semantic layer (models/semantic/, dim_metrics),
    per day, week and month, in total and split by each of their dimensions, for
    consumers that read a table (the API, the report, BI tools). Each formula is the one
    MetricFlow compiles for the metric: tests/integration/test_semantic_layer.py compares
    every value, numerator, denominator and sample size here with `mf`'s engine, for every
    metric, grain and dimension. Change a metric in its YAML and here together.
#}

{#- The grains can be narrowed for a unit test; consumers rely on all three. -#}
{% set grains = var('metric_value_grains', ['day', 'week', 'month']) %}

with

feedback as (
    select * from {{ ref('fct_feedback') }}
),

patterns as (
    select * from {{ ref('dim_patterns') }}
),

builds as (
    select * from {{ ref('fct_project_builds') }}
),

sessions as (
    select * from {{ ref('fct_sessions') }}
),

phase_executions as (
    select * from {{ ref('fct_phase_executions') }}
),

phase_costs as (
    select * from {{ ref('fct_phase_execution_costs') }}
),

session_costs as (
    select * from {{ ref('fct_session_costs') }}
),

events_daily as (
    select * from {{ ref('fct_events_daily') }}
),

template_uses as (
    select * from {{ ref('fct_template_uses') }}
),

grains as (
    select grain
    from (
        values
        {%- for grain in grains %}
        ('{{ grain }}'){{ "," if not loop.last }}
        {%- endfor %}
    ) as grain_list (grain)
),

-- One copy of each row per grain, dated with the start of its period (a row without a
-- plausible date, whose *_date staging left null, is in no period). The pattern comes
-- from dim_patterns, as MetricFlow's pattern__pattern_id joins it.
feedback_dated as (
    select
        grains.grain,
        date_trunc(grains.grain, feedback.submitted_date::timestamp)::date as period_start,
        patterns.pattern_id,
        feedback.overall_satisfaction,
        feedback.likelihood_to_reuse,
        feedback.nps_group
    from feedback
    cross join grains
    left join patterns
        on feedback.pattern_id = patterns.pattern_id
    where feedback.submitted_date is not null
),

builds_dated as (
    select
        grains.grain,
        date_trunc(grains.grain, builds.built_date::timestamp)::date as period_start,
        patterns.pattern_id,
        builds.is_successful
    from builds
    cross join grains
    left join patterns
        on builds.pattern_id = patterns.pattern_id
    where builds.built_date is not null
),

sessions_dated as (
    select
        grains.grain,
        date_trunc(grains.grain, sessions.created_date::timestamp)::date as period_start,
        sessions.is_successful
    from sessions
    cross join grains
    where sessions.created_date is not null
),

phase_executions_dated as (
    select
        grains.grain,
        date_trunc(grains.grain, phase_executions.phase_date::timestamp)::date as period_start,
        phase_executions.phase,
        phase_executions.model_used,
        phase_executions.total_tokens,
        phase_executions.duration_seconds
    from phase_executions
    cross join grains
    where phase_executions.phase_date is not null
),

phase_costs_dated as (
    select
        grains.grain,
        date_trunc(grains.grain, phase_costs.phase_date::timestamp)::date as period_start,
        phase_costs.phase,
        phase_costs.model_used,
        phase_costs.cost_usd,
        phase_costs.is_priced,
        phase_costs.unpriced_tokens
    from phase_costs
    cross join grains
    where phase_costs.phase_date is not null
),

session_costs_dated as (
    select
        grains.grain,
        date_trunc(grains.grain, session_costs.created_date::timestamp)::date as period_start,
        session_costs.is_finished,
        session_costs.is_successful,
        session_costs.cost_usd
    from session_costs
    cross join grains
    where session_costs.created_date is not null
),

events_dated as (
    select
        grains.grain,
        date_trunc(grains.grain, events_daily.event_date::timestamp)::date as period_start,
        events_daily.phase,
        events_daily.event_count,
        events_daily.error_event_count
    from events_daily
    cross join grains
    where events_daily.event_date is not null
),

template_uses_dated as (
    select
        grains.grain,
        date_trunc(grains.grain, template_uses.created_date::timestamp)::date as period_start,
        template_uses.template_type,
        template_uses.model_used,
        template_uses.is_finished,
        template_uses.is_successful,
        template_uses.cost_usd
    from template_uses
    cross join grains
    where template_uses.created_date is not null
),

feedback_periods as (
    {{ metric_periods('feedback_dated', {'pattern_id': 'pattern_id'}, {
        'feedback_count': 'count(*)',
        'satisfaction_points': 'sum(overall_satisfaction)',
        'scored_feedback_count': 'count(likelihood_to_reuse)',
        'promoter_count': "count(*) filter (where nps_group = 'promoter')",
        'detractor_count': "count(*) filter (where nps_group = 'detractor')",
    }) }}
),

build_periods as (
    {{ metric_periods('builds_dated', {'pattern_id': 'pattern_id'}, {
        'build_count': 'count(*)',
        'successful_build_count': 'count(*) filter (where is_successful)',
    }) }}
),

session_periods as (
    {{ metric_periods('sessions_dated', {}, {
        'session_count': 'count(*)',
        'finished_session_count': 'count(is_successful)',
        'successful_session_count': 'count(*) filter (where is_successful)',
    }) }}
),

phase_execution_periods as (
    {{ metric_periods('phase_executions_dated', {'phase': 'phase', 'model_used': 'model_used'}, {
        'tokens': 'sum(total_tokens)',
        'token_reporting_count': 'count(total_tokens)',
        'timed_count': 'count(duration_seconds)',
        'duration_p50': 'percentile_cont(0.5) within group (order by duration_seconds)',
        'duration_p95': 'percentile_cont(0.95) within group (order by duration_seconds)',
    }) }}
),

phase_cost_periods as (
    {{ metric_periods('phase_costs_dated', {'phase': 'phase', 'model_used': 'model_used'}, {
        'cost_usd': 'sum(cost_usd)',
        'priced_count': 'count(*) filter (where is_priced)',
        'unpriced_tokens': 'sum(unpriced_tokens)',
        'unpriced_count': 'count(*) filter (where unpriced_tokens > 0)',
    }) }}
),

session_cost_periods as (
    {{ metric_periods('session_costs_dated', {}, {
        'costed_cost_usd': 'sum(cost_usd) filter (where is_finished)',
        'costed_count': 'count(*) filter (where is_finished and cost_usd is not null)',
        'costed_successful_count': (
            'count(*) filter (where is_successful and cost_usd is not null)'
        ),
    }) }}
),

event_periods as (
    {{ metric_periods('events_dated', {'phase': 'phase'}, {
        'event_count': 'sum(event_count)',
        'error_event_count': 'sum(error_event_count)',
    }) }}
),

template_use_periods as (
    {{ metric_periods(
        'template_uses_dated',
        {'template_type': 'template_type', 'model_used': 'model_used'},
        {
            'use_count': 'count(*)',
            'successful_count': 'count(*) filter (where is_successful)',
            'costed_cost_usd': 'sum(cost_usd) filter (where is_finished)',
            'costed_successful_count': (
                'count(*) filter (where is_successful and cost_usd is not null)'
            ),
        }
    ) }}
),

-- One row per metric out of each period row: (metric, numerator, denominator, value,
-- sample size), each value computed as MetricFlow computes it (ratios as
-- numerator / nullif(denominator, 0) in double precision; nps from the two shares).
metric_rows as (
    select
        feedback_periods.grain,
        feedback_periods.period_start,
        feedback_periods.dimension,
        feedback_periods.dimension_value,
        metric_list.*
    from feedback_periods
    cross join lateral (
        values
        (
            'satisfaction',
            feedback_periods.satisfaction_points::double precision,
            feedback_periods.feedback_count::double precision,
            feedback_periods.satisfaction_points::double precision
            / nullif(feedback_periods.feedback_count, 0)::double precision,
            feedback_periods.feedback_count
        ),
        (
            'nps',
            (feedback_periods.promoter_count - feedback_periods.detractor_count)::double precision,
            feedback_periods.scored_feedback_count::double precision,
            100 * (
                feedback_periods.promoter_count::double precision
                / nullif(feedback_periods.scored_feedback_count, 0)::double precision
                - feedback_periods.detractor_count::double precision
                / nullif(feedback_periods.scored_feedback_count, 0)::double precision
            ),
            feedback_periods.scored_feedback_count
        )
    ) as metric_list (metric, numerator, denominator, value, sample_size)
    union all
    select
        build_periods.grain,
        build_periods.period_start,
        build_periods.dimension,
        build_periods.dimension_value,
        'build_success_rate',
        build_periods.successful_build_count::double precision,
        build_periods.build_count::double precision,
        build_periods.successful_build_count::double precision
        / nullif(build_periods.build_count, 0)::double precision,
        build_periods.build_count
    from build_periods
    union all
    select
        session_periods.grain,
        session_periods.period_start,
        session_periods.dimension,
        session_periods.dimension_value,
        metric_list.*
    from session_periods
    cross join lateral (
        values
        (
            'sessions',
            session_periods.session_count::double precision,
            null::double precision,
            session_periods.session_count::double precision,
            session_periods.session_count
        ),
        (
            'session_success_rate',
            session_periods.successful_session_count::double precision,
            session_periods.finished_session_count::double precision,
            session_periods.successful_session_count::double precision
            / nullif(session_periods.finished_session_count, 0)::double precision,
            session_periods.finished_session_count
        )
    ) as metric_list (metric, numerator, denominator, value, sample_size)
    union all
    select
        phase_execution_periods.grain,
        phase_execution_periods.period_start,
        phase_execution_periods.dimension,
        phase_execution_periods.dimension_value,
        metric_list.*
    from phase_execution_periods
    cross join lateral (
        values
        (
            'tokens',
            phase_execution_periods.tokens::double precision,
            null::double precision,
            phase_execution_periods.tokens::double precision,
            phase_execution_periods.token_reporting_count
        ),
        (
            'phase_duration_p50_seconds',
            null::double precision,
            null::double precision,
            phase_execution_periods.duration_p50::double precision,
            phase_execution_periods.timed_count
        ),
        (
            'phase_duration_p95_seconds',
            null::double precision,
            null::double precision,
            phase_execution_periods.duration_p95::double precision,
            phase_execution_periods.timed_count
        )
    ) as metric_list (metric, numerator, denominator, value, sample_size)
    union all
    select
        phase_cost_periods.grain,
        phase_cost_periods.period_start,
        phase_cost_periods.dimension,
        phase_cost_periods.dimension_value,
        metric_list.*
    from phase_cost_periods
    cross join lateral (
        values
        (
            'llm_cost_usd',
            phase_cost_periods.cost_usd::double precision,
            null::double precision,
            phase_cost_periods.cost_usd::double precision,
            phase_cost_periods.priced_count
        ),
        (
            'unpriced_tokens',
            phase_cost_periods.unpriced_tokens::double precision,
            null::double precision,
            phase_cost_periods.unpriced_tokens::double precision,
            phase_cost_periods.unpriced_count
        )
    ) as metric_list (metric, numerator, denominator, value, sample_size)
    union all
    select
        session_cost_periods.grain,
        session_cost_periods.period_start,
        session_cost_periods.dimension,
        session_cost_periods.dimension_value,
        metric_list.*
    from session_cost_periods
    cross join lateral (
        values
        (
            'cost_per_session_usd',
            session_cost_periods.costed_cost_usd::double precision,
            session_cost_periods.costed_count::double precision,
            session_cost_periods.costed_cost_usd::double precision
            / nullif(session_cost_periods.costed_count, 0)::double precision,
            session_cost_periods.costed_count
        ),
        (
            'cost_per_successful_session_usd',
            session_cost_periods.costed_cost_usd::double precision,
            session_cost_periods.costed_successful_count::double precision,
            session_cost_periods.costed_cost_usd::double precision
            / nullif(session_cost_periods.costed_successful_count, 0)::double precision,
            session_cost_periods.costed_successful_count
        )
    ) as metric_list (metric, numerator, denominator, value, sample_size)
    union all
    select
        event_periods.grain,
        event_periods.period_start,
        event_periods.dimension,
        event_periods.dimension_value,
        'event_error_rate',
        event_periods.error_event_count::double precision,
        event_periods.event_count::double precision,
        event_periods.error_event_count::double precision
        / nullif(event_periods.event_count, 0)::double precision,
        event_periods.event_count
    from event_periods
    union all
    select
        template_use_periods.grain,
        template_use_periods.period_start,
        template_use_periods.dimension,
        template_use_periods.dimension_value,
        metric_list.*
    from template_use_periods
    cross join lateral (
        values
        (
            'template_success_rate',
            template_use_periods.successful_count::double precision,
            template_use_periods.use_count::double precision,
            template_use_periods.successful_count::double precision
            / nullif(template_use_periods.use_count, 0)::double precision,
            template_use_periods.use_count
        ),
        (
            'cost_per_successful_template_use_usd',
            template_use_periods.costed_cost_usd::double precision,
            template_use_periods.costed_successful_count::double precision,
            template_use_periods.costed_cost_usd::double precision
            / nullif(template_use_periods.costed_successful_count, 0)::double precision,
            template_use_periods.costed_successful_count
        )
    ) as metric_list (metric, numerator, denominator, value, sample_size)
),

final as (
    select
        -- the row's key: the grain, nulls included (row text tells a null from '')
        md5(row(metric, grain, dimension, dimension_value, period_start)::text)
            as metric_value_id,
        metric,
        grain,
        period_start,
        (
            period_start + case grain
                when 'day' then interval '1 day'
                when 'week' then interval '1 week'
                else interval '1 month'
            end
        )::date as period_end,
        dimension,
        dimension_value,
        numerator,
        denominator,
        value,
        coalesce(sample_size, 0)::bigint as sample_size
    from metric_rows
)

select * from final
