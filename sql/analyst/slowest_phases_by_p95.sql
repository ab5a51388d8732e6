-- Which workflow phases are slowest when they are slow?
-- Phases ranked by the 95th percentile of their duration: the wait a developer meets once in
-- twenty runs. tail_ratio (p95 / median) says how much worse the slow runs are than a typical
-- one; a high ratio points at an unstable phase rather than a long one. One row per phase.
with

phase_performance as (
    select * from marts.phase_performance
),

final as (
    select
        phase,
        execution_count,
        round((median_duration_seconds / 60)::numeric, 1) as median_minutes,
        round((p95_duration_seconds / 60)::numeric, 1) as p95_minutes,
        round((p95_duration_seconds / nullif(median_duration_seconds, 0))::numeric, 2)
            as tail_ratio,
        round(success_rate::numeric, 3) as success_rate,
        round(avg_tokens_used::numeric) as avg_tokens_used
    from phase_performance
)

select * from final
order by p95_minutes desc nulls last
