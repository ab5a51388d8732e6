{#
    A fixed range, not one that follows the data: MetricFlow joins metrics to it, and a
    spine that moved with each load would change what a rebuilt query returns. The range
    is wider than any plausible activity date; a day is one row, so it stays small.
#}

with

days as (
    select series_day::date as date_day
    from generate_series(
        '2000-01-01'::date,
        '2049-12-31'::date,
        interval '1 day'
    ) as series_day
),

final as (
    select
        date_day,
        date_trunc('week', date_day)::date as week_start_date,
        date_trunc('month', date_day)::date as month_start_date,
        date_trunc('quarter', date_day)::date as quarter_start_date,
        date_trunc('year', date_day)::date as year_start_date,
        extract(isodow from date_day)::integer as iso_day_of_week,
        extract(isodow from date_day) in (6, 7) as is_weekend
    from days
)

select * from final
