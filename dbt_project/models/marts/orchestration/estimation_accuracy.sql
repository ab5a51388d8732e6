with

sessions as (
    select * from {{ ref('fct_sessions') }}
),

-- Sessions with both an estimate and an actual effort (finished ones); an estimate of 0 or
-- less cannot be compared as a ratio and is left out.
estimated_sessions as (
    select
        coalesce(complexity_band, 'unscored') as complexity_band,
        coalesce(feature_category, 'uncategorized') as feature_category,
        -- numeric: exact sums, so results do not depend on row order
        estimated_hours::numeric as estimated_hours,
        actual_hours::numeric as actual_hours,
        actual_hours / estimated_hours as actual_to_estimated_ratio,
        accuracy_score::numeric as accuracy_score
    from sessions
    where estimated_hours > 0 and actual_hours is not null
),

-- Every (band, category) pair, each band over all categories, and everything: 'all'.
grouped as (
    select
        coalesce(complexity_band, 'all') as complexity_band,
        coalesce(feature_category, 'all') as feature_category,
        count(*) as session_count,
        sum(estimated_hours) as total_estimated_hours,
        sum(actual_hours) as total_actual_hours,
        avg(actual_hours - estimated_hours) as mean_error_hours,
        avg(abs(actual_hours - estimated_hours)) as mean_absolute_error_hours,
        avg(abs(actual_hours - estimated_hours) / estimated_hours)
            as mean_absolute_percentage_error,
        percentile_cont(0.5) within group (
            order by actual_to_estimated_ratio
        ) as median_actual_to_estimated_ratio,
        percentile_cont(0.9) within group (
            order by actual_to_estimated_ratio
        ) as p90_actual_to_estimated_ratio,
        count(*) filter (where actual_hours > estimated_hours) as underestimated_count,
        count(*) filter (
            where abs(actual_hours - estimated_hours) <= 0.25 * estimated_hours
        ) as within_25_percent_count,
        avg(accuracy_score) as avg_accuracy_score
    from estimated_sessions
    group by grouping sets ((complexity_band, feature_category), (complexity_band), ())
    -- the grand total () yields a row even without any session: not a group
    having count(*) > 0
),

final as (
    select
        complexity_band,
        feature_category,
        session_count::bigint as session_count,
        total_estimated_hours::double precision as total_estimated_hours,
        total_actual_hours::double precision as total_actual_hours,
        (total_actual_hours / session_count)::double precision as avg_actual_hours,
        (total_estimated_hours / session_count)::double precision as avg_estimated_hours,
        mean_error_hours::double precision as mean_error_hours,
        mean_absolute_error_hours::double precision as mean_absolute_error_hours,
        (100 * mean_absolute_percentage_error)::double precision
            as mean_absolute_percentage_error,
        median_actual_to_estimated_ratio::double precision as median_actual_to_estimated_ratio,
        p90_actual_to_estimated_ratio::double precision as p90_actual_to_estimated_ratio,
        underestimated_count::bigint as underestimated_count,
        (100.0 * underestimated_count / session_count)::double precision
            as underestimated_rate,
        within_25_percent_count::bigint as within_25_percent_count,
        (100.0 * within_25_percent_count / session_count)::double precision
            as within_25_percent_rate,
        100 * {{ wilson_bound('within_25_percent_count', 'session_count', 'lower') }}
            as within_25_percent_rate_lower,
        100 * {{ wilson_bound('within_25_percent_count', 'session_count', 'upper') }}
            as within_25_percent_rate_upper,
        avg_accuracy_score::double precision as avg_accuracy_score
    from grouped
)

select * from final
