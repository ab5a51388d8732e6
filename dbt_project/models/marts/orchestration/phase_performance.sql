with

phase_metrics as (
    select * from {{ ref('stg_prompt_runner__orchestration_phase_metrics') }}
),

final as (
    select
        phase,
        count(*)::bigint as execution_count,
        avg(duration_seconds)::double precision as avg_duration_seconds,
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
    -- A metric without a phase cannot be attributed; staging's not_null test reports it.
    where phase is not null
    group by 1
)

select * from final
