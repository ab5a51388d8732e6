{#
    The values of the trend metrics of the semantic layer (models/semantic/, dim_metrics),
    per day, week and month, in total and split by each of their dimensions, for
    consumers that read a table (the API, the report, BI tools). Each formula is the one
    MetricFlow compiles for the metric: tests/integration/test_semantic_layer.py compares
    every value, numerator, denominator and sample size here with `mf`'s engine, for every
    metric, grain and dimension. Change a metric in its YAML and here together.

    Incremental, a period at a time: a run finds the days the night's rows are dated on
    (touched_days: rows loaded since the newest load this model holds, minus the lookback;
    with the reprocess vars, every day of that range), and recomputes every metric of each
    day, week and month holding one of those days from all the rows dated in it;
    delete+insert on (grain, period_start) replaces the period's rows. Costs follow the
    price seed: a price edit rebuilds everything (metric_values_rebuild_if_stale()). A row
    whose date itself changes (a corrected timestamp) leaves its old period as it was until
    that range is reprocessed, as in fct_events_daily.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['grain', 'period_start'],
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ heavy_query_settings() }}",
            "{{ metric_values_rebuild_if_stale(
                ['fct_sessions', 'fct_phase_executions', 'fct_events_daily'],
                ['llm_cost_usd', 'unpriced_tokens', 'cost_per_session_usd',
                 'cost_per_successful_session_usd', 'cost_per_successful_template_use_usd'],
                'llm_model_prices'
            ) }}",
        ],
    )
}}

{#- The grains can be narrowed for a unit test; consumers rely on all three. -#}
{% set grains = var('metric_value_grains', ['day', 'week', 'month']) %}
{#- The metrics priced from llm_model_prices: their rows keep the seed's fingerprint. -#}
{% set cost_metrics = [
    'llm_cost_usd', 'unpriced_tokens', 'cost_per_session_usd',
    'cost_per_successful_session_usd', 'cost_per_successful_template_use_usd',
] %}

with

feedback as not materialized (
    select * from {{ ref('fct_feedback') }}
),

patterns as not materialized (
    select * from {{ ref('dim_patterns') }}
),

builds as not materialized (
    select * from {{ ref('fct_project_builds') }}
),

sessions as not materialized (
    select * from {{ ref('fct_sessions') }}
),

phase_executions as not materialized (
    select * from {{ ref('fct_phase_executions') }}
),

phase_costs as (
    select * from {{ ref('fct_phase_execution_costs') }}
),

session_costs as (
    select * from {{ ref('fct_session_costs') }}
),

events_daily as not materialized (
    select * from {{ ref('fct_events_daily') }}
),

template_uses as (
    select * from {{ ref('fct_template_uses') }}
),

prices as (
    select * from {{ ref('llm_model_prices') }}
),

-- Where an incremental run learns which feedback and projects are new: the two facts built
-- from them carry no load time (every version of a project: an older one may arrive last).
-- (read by incremental runs only: unused in a full build)
feedback_loads as (  -- noqa: ST03
    select * from {{ ref('stg_dataforge__user_feedback') }}
    {%- if is_incremental() %}
    where _loaded_at >= {{ incremental_watermark() }}
    {%- endif %}
),

project_loads as not materialized (  -- noqa: ST03
    select * from {{ ref('base_dataforge__project_outcomes') }}
    {%- if is_incremental() %}
    where _loaded_at >= {{ incremental_watermark() }}
    {%- endif %}
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
{%- if is_incremental() %}

-- The days the night's rows are dated on: rows loaded since the newest load this model
-- holds (minus the lookback), or every day of the reprocess range. A feedback is new when
-- it or its project is (the project gives it its pattern); a build when its project is.
touched_days as (
    {%- set window = reprocess_window() %}
    {%- if window is not none %}
    select reprocess_days.touched_date::date as touched_date
    from generate_series(
        '{{ window.start }}'::date, '{{ window.end }}'::date - 1, interval '1 day'
    ) as reprocess_days (touched_date)
    {%- else %}
    select feedback.submitted_date as touched_date
    from feedback
    where
        feedback.feedback_id in (select feedback_loads.feedback_id from feedback_loads)
        or feedback.project_outcome_id in (
            select project_loads.project_outcome_id from project_loads
        )
    union
    select builds.built_date
    from builds
    where builds.project_outcome_id in (select project_loads.project_outcome_id from project_loads)
    union
    select sessions.created_date
    from sessions
    where sessions._loaded_at >= {{ incremental_watermark() }}
    union
    select phase_executions.phase_date
    from phase_executions
    where phase_executions._loaded_at >= {{ incremental_watermark() }}
    union
    select events_daily.event_date
    from events_daily
    where events_daily._loaded_at >= {{ incremental_watermark() }}
    {%- endif %}
),

-- Each day, week and month holding a touched day: every metric of it is recomputed.
touched_periods as (
    select distinct
        grains.grain,
        date_trunc(grains.grain, touched_days.touched_date::timestamp)::date as period_start
    from touched_days
    cross join grains
    where touched_days.touched_date is not null
),

-- Every day of the touched periods, once per grain whose touched period holds it: the rows
-- they are recomputed from join it on their day (an equality join, where testing each row's
-- period of each grain against the touched ones cost a nested loop: 4M comparisons for the
-- phase costs of one night at 10M events).
touched_grain_days as (
    select
        touched_periods.grain,
        period_days.touched_day::date as touched_day
    from touched_periods
    cross join lateral generate_series(
        touched_periods.period_start,
        touched_periods.period_start + ('1 ' || touched_periods.grain)::interval - interval '1 day',
        interval '1 day'
    ) as period_days (touched_day)
),
{%- endif %}

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
    {{ metric_values_grains_of('feedback.submitted_date') }}
    left join patterns
        on feedback.pattern_id = patterns.pattern_id
    where
        feedback.submitted_date is not null
),

builds_dated as (
    select
        grains.grain,
        date_trunc(grains.grain, builds.built_date::timestamp)::date as period_start,
        patterns.pattern_id,
        builds.is_successful
    from builds
    {{ metric_values_grains_of('builds.built_date') }}
    left join patterns
        on builds.pattern_id = patterns.pattern_id
    where
        builds.built_date is not null
),

sessions_dated as (
    select
        grains.grain,
        date_trunc(grains.grain, sessions.created_date::timestamp)::date as period_start,
        sessions.is_successful,
        sessions._loaded_at
    from sessions
    {{ metric_values_grains_of('sessions.created_date') }}
    where
        sessions.created_date is not null
),

phase_executions_dated as (
    select
        grains.grain,
        date_trunc(grains.grain, phase_executions.phase_date::timestamp)::date as period_start,
        phase_executions.phase,
        phase_executions.model_used,
        phase_executions.total_tokens,
        phase_executions.duration_seconds,
        phase_executions._loaded_at
    from phase_executions
    {{ metric_values_grains_of('phase_executions.phase_date') }}
    where
        phase_executions.phase_date is not null
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
    {{ metric_values_grains_of('phase_costs.phase_date') }}
    where
        phase_costs.phase_date is not null
),

session_costs_dated as (
    select
        grains.grain,
        date_trunc(grains.grain, session_costs.created_date::timestamp)::date as period_start,
        session_costs.is_finished,
        session_costs.is_successful,
        session_costs.cost_usd
    from session_costs
    {{ metric_values_grains_of('session_costs.created_date') }}
    where
        session_costs.created_date is not null
),

events_dated as (
    select
        grains.grain,
        date_trunc(grains.grain, events_daily.event_date::timestamp)::date as period_start,
        events_daily.phase,
        events_daily.event_count,
        events_daily.error_event_count,
        events_daily._loaded_at
    from events_daily
    {{ metric_values_grains_of('events_daily.event_date') }}
    where
        events_daily.event_date is not null
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
    {{ metric_values_grains_of('template_uses.created_date') }}
    where
        template_uses.created_date is not null
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

-- One row per metric and period row: its numerator, denominator, value and sample size,
-- each value computed as MetricFlow computes it (ratios as numerator / nullif(denominator, 0)
-- in double precision; nps from the two shares; sums and percentiles have no denominator).
metric_rows as (
    select
        feedback_periods.grain,
        feedback_periods.period_start,
        feedback_periods.dimension,
        feedback_periods.dimension_value,
        'satisfaction' as metric,
        feedback_periods.satisfaction_points::double precision as numerator,
        feedback_periods.feedback_count::double precision as denominator,
        feedback_periods.satisfaction_points::double precision
        / nullif(feedback_periods.feedback_count, 0)::double precision as value,
        feedback_periods.feedback_count as sample_size
    from feedback_periods
    union all
    select
        feedback_periods.grain,
        feedback_periods.period_start,
        feedback_periods.dimension,
        feedback_periods.dimension_value,
        'nps' as metric,
        (
            feedback_periods.promoter_count - feedback_periods.detractor_count
        )::double precision as numerator,
        feedback_periods.scored_feedback_count::double precision as denominator,
        100 * (
            feedback_periods.promoter_count::double precision
            / nullif(feedback_periods.scored_feedback_count, 0)::double precision
            - feedback_periods.detractor_count::double precision
            / nullif(feedback_periods.scored_feedback_count, 0)::double precision
        ) as value,
        feedback_periods.scored_feedback_count as sample_size
    from feedback_periods
    union all
    select
        build_periods.grain,
        build_periods.period_start,
        build_periods.dimension,
        build_periods.dimension_value,
        'build_success_rate' as metric,
        build_periods.successful_build_count::double precision as numerator,
        build_periods.build_count::double precision as denominator,
        build_periods.successful_build_count::double precision
        / nullif(build_periods.build_count, 0)::double precision as value,
        build_periods.build_count as sample_size
    from build_periods
    union all
    select
        session_periods.grain,
        session_periods.period_start,
        session_periods.dimension,
        session_periods.dimension_value,
        'sessions' as metric,
        session_periods.session_count::double precision as numerator,
        null::double precision as denominator,
        session_periods.session_count::double precision as value,
        session_periods.session_count as sample_size
    from session_periods
    union all
    select
        session_periods.grain,
        session_periods.period_start,
        session_periods.dimension,
        session_periods.dimension_value,
        'session_success_rate' as metric,
        session_periods.successful_session_count::double precision as numerator,
        session_periods.finished_session_count::double precision as denominator,
        session_periods.successful_session_count::double precision
        / nullif(session_periods.finished_session_count, 0)::double precision as value,
        session_periods.finished_session_count as sample_size
    from session_periods
    union all
    select
        phase_execution_periods.grain,
        phase_execution_periods.period_start,
        phase_execution_periods.dimension,
        phase_execution_periods.dimension_value,
        'tokens' as metric,
        phase_execution_periods.tokens::double precision as numerator,
        null::double precision as denominator,
        phase_execution_periods.tokens::double precision as value,
        phase_execution_periods.token_reporting_count as sample_size
    from phase_execution_periods
    union all
    select
        phase_execution_periods.grain,
        phase_execution_periods.period_start,
        phase_execution_periods.dimension,
        phase_execution_periods.dimension_value,
        'phase_duration_p50_seconds' as metric,
        null::double precision as numerator,
        null::double precision as denominator,
        phase_execution_periods.duration_p50::double precision as value,
        phase_execution_periods.timed_count as sample_size
    from phase_execution_periods
    union all
    select
        phase_execution_periods.grain,
        phase_execution_periods.period_start,
        phase_execution_periods.dimension,
        phase_execution_periods.dimension_value,
        'phase_duration_p95_seconds' as metric,
        null::double precision as numerator,
        null::double precision as denominator,
        phase_execution_periods.duration_p95::double precision as value,
        phase_execution_periods.timed_count as sample_size
    from phase_execution_periods
    union all
    select
        phase_cost_periods.grain,
        phase_cost_periods.period_start,
        phase_cost_periods.dimension,
        phase_cost_periods.dimension_value,
        'llm_cost_usd' as metric,
        phase_cost_periods.cost_usd::double precision as numerator,
        null::double precision as denominator,
        phase_cost_periods.cost_usd::double precision as value,
        phase_cost_periods.priced_count as sample_size
    from phase_cost_periods
    union all
    select
        phase_cost_periods.grain,
        phase_cost_periods.period_start,
        phase_cost_periods.dimension,
        phase_cost_periods.dimension_value,
        'unpriced_tokens' as metric,
        phase_cost_periods.unpriced_tokens::double precision as numerator,
        null::double precision as denominator,
        phase_cost_periods.unpriced_tokens::double precision as value,
        phase_cost_periods.unpriced_count as sample_size
    from phase_cost_periods
    union all
    select
        session_cost_periods.grain,
        session_cost_periods.period_start,
        session_cost_periods.dimension,
        session_cost_periods.dimension_value,
        'cost_per_session_usd' as metric,
        session_cost_periods.costed_cost_usd::double precision as numerator,
        session_cost_periods.costed_count::double precision as denominator,
        session_cost_periods.costed_cost_usd::double precision
        / nullif(session_cost_periods.costed_count, 0)::double precision as value,
        session_cost_periods.costed_count as sample_size
    from session_cost_periods
    union all
    select
        session_cost_periods.grain,
        session_cost_periods.period_start,
        session_cost_periods.dimension,
        session_cost_periods.dimension_value,
        'cost_per_successful_session_usd' as metric,
        session_cost_periods.costed_cost_usd::double precision as numerator,
        session_cost_periods.costed_successful_count::double precision as denominator,
        session_cost_periods.costed_cost_usd::double precision
        / nullif(session_cost_periods.costed_successful_count, 0)::double precision as value,
        session_cost_periods.costed_successful_count as sample_size
    from session_cost_periods
    union all
    select
        event_periods.grain,
        event_periods.period_start,
        event_periods.dimension,
        event_periods.dimension_value,
        'event_error_rate' as metric,
        event_periods.error_event_count::double precision as numerator,
        event_periods.event_count::double precision as denominator,
        event_periods.error_event_count::double precision
        / nullif(event_periods.event_count, 0)::double precision as value,
        event_periods.event_count as sample_size
    from event_periods
    union all
    select
        template_use_periods.grain,
        template_use_periods.period_start,
        template_use_periods.dimension,
        template_use_periods.dimension_value,
        'template_success_rate' as metric,
        template_use_periods.successful_count::double precision as numerator,
        template_use_periods.use_count::double precision as denominator,
        template_use_periods.successful_count::double precision
        / nullif(template_use_periods.use_count, 0)::double precision as value,
        template_use_periods.use_count as sample_size
    from template_use_periods
    union all
    select
        template_use_periods.grain,
        template_use_periods.period_start,
        template_use_periods.dimension,
        template_use_periods.dimension_value,
        'cost_per_successful_template_use_usd' as metric,
        template_use_periods.costed_cost_usd::double precision as numerator,
        template_use_periods.costed_successful_count::double precision as denominator,
        template_use_periods.costed_cost_usd::double precision
        / nullif(template_use_periods.costed_successful_count, 0)::double precision as value,
        template_use_periods.costed_successful_count as sample_size
    from template_use_periods
),

-- The load times of the rows each period is computed from, in the facts that carry one
-- (sessions with their events and phases, phase executions, days of events).
period_load_list as (
    select
        sessions_dated.grain,
        sessions_dated.period_start,
        sessions_dated._loaded_at
    from sessions_dated
    union all
    select
        phase_executions_dated.grain,
        phase_executions_dated.period_start,
        phase_executions_dated._loaded_at
    from phase_executions_dated
    union all
    select
        events_dated.grain,
        events_dated.period_start,
        events_dated._loaded_at
    from events_dated
),

-- A period's newest load: the next incremental run reads rows loaded after the newest of all.
period_loads as (
    select
        grain,
        period_start,
        max(_loaded_at) as _loaded_at
    from period_load_list
    group by 1, 2
),

prices_fingerprint as (
    select {{ metric_values_prices_md5('prices') }} as prices_md5
    from prices
),

final as (
    select
        -- the row's key: the grain, nulls included (row text tells a null from '')
        md5(
            row(
                metric_rows.metric,
                metric_rows.grain,
                metric_rows.dimension,
                metric_rows.dimension_value,
                metric_rows.period_start
            )::text
        ) as metric_value_id,
        metric_rows.metric,
        metric_rows.grain,
        metric_rows.period_start,
        (
            metric_rows.period_start + case metric_rows.grain
                when 'day' then interval '1 day'
                when 'week' then interval '1 week'
                else interval '1 month'
            end
        )::date as period_end,
        metric_rows.dimension,
        metric_rows.dimension_value,
        metric_rows.numerator,
        metric_rows.denominator,
        metric_rows.value,
        coalesce(metric_rows.sample_size, 0)::bigint as sample_size,
        period_loads._loaded_at,
        case
            when metric_rows.metric in (
                {%- for metric in cost_metrics -%}
                '{{ metric }}'{{ ", " if not loop.last }}
                {%- endfor -%}
            ) then prices_fingerprint.prices_md5
            else null
        end as _prices_md5
    from metric_rows
    cross join prices_fingerprint
    left join period_loads
        on
            metric_rows.grain = period_loads.grain
            and metric_rows.period_start = period_loads.period_start
)

select * from final
