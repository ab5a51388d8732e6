{{ config(pre_hook="{{ heavy_query_settings() }}") }}

with

-- The incremental phase fact holds exactly staging's current phase metrics that have a
-- phase, without re-deduplicating every raw version on each build.
phase_metrics as (
    select * from {{ ref('fct_phase_executions') }}
),

final as (
    select
        phase,
        count(*)::bigint as execution_count,
        -- numeric: an exact mean, whatever order the incremental table stores rows in
        avg(duration_seconds::numeric)::double precision as avg_duration_seconds,
        percentile_cont(0.5) within group (
            order by duration_seconds
        )::double precision as median_duration_seconds,
        percentile_cont(0.95) within group (
            order by duration_seconds
        )::double precision as p95_duration_seconds,
        -- As the seed: a phase without a recorded error (false or null) counts as a success.
        avg(
            case
                when has_error then 0
                else 1
            end
        )::double precision as success_rate,
        avg(total_tokens)::double precision as avg_tokens_used,
        sum(validation_errors)::bigint as total_validation_errors
    from phase_metrics
    group by 1
)

select * from final
