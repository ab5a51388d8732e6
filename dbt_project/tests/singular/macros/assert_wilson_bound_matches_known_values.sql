-- wilson_bound() against values computed independently, as the two roots of the Wilson
-- score equation (p - successes/n)^2 = z^2 p (1 - p) / n with z = 1.959964 (95%), and the
-- edge cases: no trials gives null, 0 successes a lower bound of 0, all successes an upper
-- bound of 1. A row here is a case off by more than 1e-9: check the formula in
-- macros/metrics/wilson_bound.sql.

{# A test of a macro has no model to run after; depending on one mart that uses the macro
   gives it one, so Dagster shows it as a check on phase_funnel (dbt's depends_on comment). #}
-- depends_on: {{ ref('phase_funnel') }}

with

cases as (
    select *
    from (
        values
        (0, 0, null::double precision, null::double precision),
        (0, 10, 0.0, 0.2775327998628892),
        (10, 10, 0.7224672001371114, 1.0),
        (5, 10, 0.236593090512564, 0.763406909487436),
        (1, 1, 0.20654931437723742, 1.0),
        (81, 263, 0.2552885198782743, 0.3662095769828)
    ) as known (successes, trials, expected_lower, expected_upper)
),

computed as (
    select
        successes,
        trials,
        expected_lower,
        expected_upper,
        {{ wilson_bound('successes', 'trials', 'lower') }} as lower_bound,
        {{ wilson_bound('successes', 'trials', 'upper') }} as upper_bound
    from cases
),

final as (
    select *
    from computed
    where
        (lower_bound is null) <> (expected_lower is null)
        or (upper_bound is null) <> (expected_upper is null)
        or abs(lower_bound - expected_lower) > 1e-9
        or abs(upper_bound - expected_upper) > 1e-9
)

select * from final
