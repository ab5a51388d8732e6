{#
    Means and totals add up the per-day sums of fct_phase_executions_daily (kept
    incrementally); the percentiles are exact, as percentile_cont computes them, without
    sorting any phase's executions: with n durations, the value at position p x (n - 1)
    and the next one are read by offset along fct_phase_executions' index on
    (phase, duration_seconds), from its nearer end (the 95th percentile from the top: 5% of
    the entries skipped instead of 95%), then interpolated as percentile_cont does
    (lo + (hi - lo) x fraction, in double precision; no interpolation at a whole position).
#}
{%- set percentiles = [('median', 0.5), ('p95', 0.95)] %}

with

phase_executions_daily as (
    select * from {{ ref('fct_phase_executions_daily') }}
),

-- Read by the correlated lookups below: not materialized, so each reaches the index.
phase_executions as not materialized (
    select
        phase,
        duration_seconds
    from {{ ref('fct_phase_executions') }}
    where duration_seconds is not null
),

totals as (
    select
        phase,
        sum(execution_count) as execution_count,
        sum(success_count) as success_count,
        sum(duration_seconds_sum) as duration_seconds_sum,
        sum(duration_seconds_count) as duration_seconds_count,
        sum(tokens_sum) as tokens_sum,
        sum(tokens_count) as tokens_count,
        sum(validation_errors_sum) as validation_errors_sum
    from phase_executions_daily
    group by 1
),

-- percentile_cont's positions: p x (n - 1), its floor and ceiling (0-based ranks)
positions as (
    select
        phase,
        {%- for name, fraction in percentiles %}
        {{ fraction }}::double precision * (duration_seconds_count - 1) as {{ name }}_position,
        {%- endfor %}
        duration_seconds_count
    from totals
    where duration_seconds_count > 0
),

percentile_values as (
    select
        positions.phase,
        {%- for name, fraction in percentiles %}
        positions.{{ name }}_position - floor(positions.{{ name }}_position)
            as {{ name }}_fraction,
        floor(positions.{{ name }}_position) = ceil(positions.{{ name }}_position)
            as {{ name }}_is_whole,
        {%- for bound, rounding in [('low', 'floor'), ('high', 'ceil')] %}
        {#- read from the nearer end of the index: an offset costs the entries it skips #}
        case
            when
                {{ rounding }}(positions.{{ name }}_position)
                <= (positions.duration_seconds_count - 1) / 2.0
                then (
                    select phase_executions.duration_seconds
                    from phase_executions
                    where phase_executions.phase = positions.phase
                    order by phase_executions.duration_seconds asc
                    limit 1 offset {{ rounding }}(positions.{{ name }}_position)::bigint
                )
            else (
                select phase_executions.duration_seconds
                from phase_executions
                where phase_executions.phase = positions.phase
                order by phase_executions.duration_seconds desc
                limit 1 offset (
                    positions.duration_seconds_count - 1
                    - {{ rounding }}(positions.{{ name }}_position)
                )::bigint
            )
        end as {{ name }}_{{ bound }},
        {%- endfor %}
        {%- endfor %}
        positions.duration_seconds_count
    from positions
),

final as (
    select
        totals.phase,
        totals.execution_count::bigint as execution_count,
        -- numeric: exact sums over counts
        (
            totals.duration_seconds_sum / nullif(totals.duration_seconds_count, 0)
        )::double precision as avg_duration_seconds,
        {%- for name, fraction in percentiles %}
        case
            when percentile_values.{{ name }}_is_whole
                then percentile_values.{{ name }}_low::double precision
            else
                percentile_values.{{ name }}_low::double precision
                + (
                    percentile_values.{{ name }}_high::double precision
                    - percentile_values.{{ name }}_low::double precision
                )
                * percentile_values.{{ name }}_fraction
        end as {{ name }}_duration_seconds,
        {%- endfor %}
        (
            totals.success_count::numeric / nullif(totals.execution_count, 0)
        )::double precision as success_rate,
        (totals.tokens_sum / nullif(totals.tokens_count, 0))::double precision
            as avg_tokens_used,
        totals.validation_errors_sum::bigint as total_validation_errors
    from totals
    left join percentile_values
        on totals.phase = percentile_values.phase
)

select * from final
