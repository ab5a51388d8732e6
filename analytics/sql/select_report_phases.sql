-- Phases in workflow order (unknown phases last), with their duration percentiles.
with

phase_performance as (
    select * from marts.phase_performance
),

final as (
    select
        phase,
        execution_count,
        median_duration_seconds,
        p95_duration_seconds,
        success_rate
    from phase_performance
)

select * from final
order by
    coalesce(
        array_position(
            array['planning', 'analysis', 'implementation', 'testing', 'cleaning'], phase
        ),
        99
    ),
    phase
