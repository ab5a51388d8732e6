-- One metric of marts.metrics_daily summed into %(bucket_count)s buckets of %(bucket_days)s days
-- that end on the metric's last date (the build's as_of date); bucket 0 is the newest. Every
-- bucket is present; one before the first day of data has a zero sample.
with

metrics_daily as (
    select * from marts.metrics_daily
    where metric = %(metric)s
),

bounds as (
    select
        max(metric_date) as last_date,
        max(as_of) as as_of
    from metrics_daily
),

buckets as (
    select
        bucket_index,
        bounds.last_date - (bucket_index + 1) * %(bucket_days)s::integer + 1 as start_date,
        bounds.last_date - bucket_index * %(bucket_days)s::integer as end_date
    from bounds
    cross join generate_series(0, %(bucket_count)s::integer - 1) as bucket_index
    where bounds.last_date is not null
),

days_in_buckets as (
    select
        buckets.bucket_index,
        sum(metrics_daily.numerator) as numerator,
        sum(metrics_daily.denominator) as denominator,
        sum(metrics_daily.sample_size) as sample_size
    from buckets
    inner join metrics_daily
        on metrics_daily.metric_date between buckets.start_date and buckets.end_date
    group by 1
),

final as (
    select
        buckets.start_date,
        buckets.end_date,
        coalesce(days_in_buckets.numerator, 0)::double precision as numerator,
        days_in_buckets.denominator::double precision as denominator,
        coalesce(days_in_buckets.sample_size, 0)::bigint as sample_size,
        bounds.as_of
    from buckets
    cross join bounds
    left join days_in_buckets
        on buckets.bucket_index = days_in_buckets.bucket_index
)

select * from final
order by start_date
