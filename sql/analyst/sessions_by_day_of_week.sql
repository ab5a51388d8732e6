-- On which days of the week do developers start sessions, and how do those sessions end?
-- marts.dim_dates is the calendar (also MetricFlow's time spine): join any *_date column to
-- date_day. Success counts finished sessions only. One row per ISO day of the week.
with

dim_dates as (
    select * from marts.dim_dates
),

fct_sessions as (
    select * from marts.fct_sessions
),

final as (
    select
        dim_dates.iso_day_of_week,
        to_char(dim_dates.date_day, 'Dy') as day_name,
        count(*) as sessions,
        count(fct_sessions.is_successful) as finished_sessions,
        round(avg(fct_sessions.is_successful::integer)::numeric, 3) as success_rate
    from fct_sessions
    inner join dim_dates
        on fct_sessions.created_date = dim_dates.date_day
    group by 1, 2
)

select * from final
order by iso_day_of_week
