{#
    Means and totals add up the per-day sums of fct_phase_executions_daily (kept
    incrementally); the percentiles are exact, as percentile_cont computes them, without
    sorting any phase's executions: with n durations, the value at position p x (n - 1)
    and the next one are read by offset along fct_phase_executions' index on
    (phase, duration_seconds), then interpolated as percentile_cont does
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
        (
            select phase_executions.duration_seconds
            from phase_executions
            where phase_executions.phase = positions.phase
            order by phase_executions.duration_seconds
            limit 1 offset floor(positions.{{ name }}_position)::bigint
        ) as {{ name }}_low,
        (
            select phase_executions.duration_seconds
            from phase_executions
            where phase_executions.phase = positions.phase
            order by phase_executions.duration_seconds
            limit 1 offset ceil(positions.{{ name }}_position)::bigint
        ) as {{ name }}_high,
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
