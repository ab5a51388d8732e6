-- One metric of marts.metrics_daily summed into %(bucket_count)s buckets of %(bucket_days)s days
-- that end on the last whole UTC day before the build's as_of (the as_of day itself is partial:
-- the build saw none or only part of it). Bucket 0 is the newest. Every bucket is present; one
-- before the first day of data has a zero sample. Only the window's rows are read, through the
-- (metric, metric_date) index, however far back the mart reaches.
with

metrics_daily as not materialized (
    select * from marts.metrics_daily
    where metric = %(metric)s
),

latest_day as (
    select
        metric_date,
        as_of
    from metrics_daily
    order by metric_date desc
    limit 1
),

bounds as (
    select
        least(metric_date, (as_of at time zone 'utc')::date - 1) as end_date,
        as_of
    from latest_day
),

buckets as (
    select
        series.bucket_index,
        bounds.end_date - (series.bucket_index + 1) * %(bucket_days)s::integer + 1 as start_date,
        bounds.end_date - series.bucket_index * %(bucket_days)s::integer as end_date
    from bounds
    cross join generate_series(0, %(bucket_count)s::integer - 1) as series (bucket_index)
),

days_in_window as (
    select
        (bounds.end_date - metrics_daily.metric_date) / %(bucket_days)s::integer as bucket_index,
        metrics_daily.numerator,
        metrics_daily.denominator,
        metrics_daily.sample_size
    from bounds
    inner join metrics_daily
        on
            bounds.end_date >= metrics_daily.metric_date
            and metrics_daily.metric_date
            > bounds.end_date - %(bucket_count)s::integer * %(bucket_days)s::integer
),

days_in_buckets as (
    select
        bucket_index,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        sum(sample_size) as sample_size
    from days_in_window
    group by 1
),

final as (
    select
        buckets.start_date,
        buckets.end_date,
        coalesce(days_in_buckets.numerator, 0)::double precision as numerator,
        coalesce(days_in_buckets.denominator, 0)::double precision as denominator,
        coalesce(days_in_buckets.sample_size, 0)::bigint as sample_size,
        bounds.as_of
    from buckets
    cross join bounds
    left join days_in_buckets
        on buckets.bucket_index = days_in_buckets.bucket_index
)

select * from final
order by start_date
