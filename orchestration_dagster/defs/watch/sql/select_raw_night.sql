-- One night of a raw table: its rows, their median lateness (event time to load time, hours)
-- and per key column how many rows have a value and how many distinct values there are. Only
-- the night's rows are read, through the index on _loaded_at.
with

night_rows as (
    select
        _loaded_at,
        {event_time} as event_at,
        {key_columns}
    from {raw_table}
    where _loaded_at >= %(night_start)s and _loaded_at < %(night_end)s
),

final as (
    select
        count(*) as row_count,
        percentile_cont(0.5) within group (
            order by extract(epoch from _loaded_at - event_at) / 3600.0
        ) as lateness_p50_hours,
        {column_counts}
    from night_rows
)

select * from final
