-- How have satisfaction and session success moved, week by week?
-- marts.metrics_daily summed into the last 12 weeks before its latest date. A week's value is
-- sum(numerator) / sum(denominator): never average the daily values, a quiet day would weigh
-- as much as a busy one. One row per week and metric.
with

metrics_daily as (
    select * from marts.metrics_daily
    where metric in ('satisfaction', 'session_success_rate')
),

last_day as (
    select max(metric_date) as last_date from metrics_daily
),

weekly as (
    select
        metrics_daily.metric,
        last_day.last_date - ((last_day.last_date - metrics_daily.metric_date) / 7) * 7 - 6
            as week_start,
        sum(metrics_daily.numerator) as numerator,
        sum(metrics_daily.denominator) as denominator,
        sum(metrics_daily.sample_size) as sample_size
    from metrics_daily
    cross join last_day
    where metrics_daily.metric_date > last_day.last_date - 84
    group by 1, 2
),

final as (
    select
        week_start,
        metric,
        sample_size,
        round((numerator / nullif(denominator, 0))::numeric, 3) as value
    from weekly
)

select * from final
order by metric, week_start
