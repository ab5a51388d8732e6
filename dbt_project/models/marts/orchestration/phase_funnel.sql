{#
    Reads the per-day counts fct_phase_funnel_daily keeps incrementally: a few rows per phase
    and day, summed here, instead of every session and phase execution.
#}
with

funnel_days as (
    select * from {{ ref('fct_phase_funnel_daily') }}
),

-- A phase nobody reached has no row.
phases_counted as (
    select
        phase,
        phase_order,
        sum(sessions_reached)::bigint as sessions_reached,
        sum(sessions_finished)::bigint as sessions_finished,
        sum(sessions_succeeded)::bigint as sessions_succeeded,
        sum(first_pass_count)::bigint as first_pass_count
    from funnel_days
    group by 1, 2
    having sum(sessions_reached) > 0
),

phases_compared as (
    select
        phase,
        phase_order,
        sessions_reached,
        sessions_finished,
        sessions_succeeded,
        first_pass_count,
        first_value(sessions_reached) over (order by phase_order) as sessions_started,
        lag(sessions_succeeded) over (order by phase_order) as previous_succeeded,
        -- numeric, so the product below is exact where it can be (0.5 x 1 = 0.5)
        first_pass_count::numeric / nullif(sessions_finished, 0) as first_pass_share
    from phases_counted
),

final as (
    select
        phase,
        phase_order,

        -- reach
        sessions_reached::bigint as sessions_reached,
        (100.0 * sessions_reached / nullif(sessions_started, 0))::double precision
            as reached_rate,
        (100.0 * sessions_reached / nullif(previous_succeeded, 0))::double precision
            as continuation_rate,

        -- success
        sessions_finished::bigint as sessions_finished,
        sessions_succeeded::bigint as sessions_succeeded,
        (100.0 * sessions_succeeded / nullif(sessions_finished, 0))::double precision
            as success_rate,
        100 * {{ wilson_bound('sessions_succeeded', 'sessions_finished', 'lower') }}
            as success_rate_lower,
        100 * {{ wilson_bound('sessions_succeeded', 'sessions_finished', 'upper') }}
            as success_rate_upper,

        -- first pass
        first_pass_count::bigint as first_pass_count,
        (100 * first_pass_share)::double precision as first_pass_yield,
        100 * {{ wilson_bound('first_pass_count', 'sessions_finished', 'lower') }}
            as first_pass_yield_lower,
        100 * {{ wilson_bound('first_pass_count', 'sessions_finished', 'upper') }}
            as first_pass_yield_upper,
        -- product of the first-pass yields of this phase and every phase before it
        case
            when bool_or(first_pass_share is null) over (order by phase_order) then null
            when min(first_pass_share) over (order by phase_order) = 0 then 0
            else 100 * exp(sum(ln(nullif(first_pass_share, 0))) over (order by phase_order))
        end::double precision as rolled_throughput_yield
    from phases_compared
)

select * from final
