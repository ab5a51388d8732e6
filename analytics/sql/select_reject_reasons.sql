-- The commonest reject reasons of the last day of loading (as in select_load_totals).
with

loads as (
    select * from audit.loads
),

rejects as (
    select * from audit.rejects
),

latest as (
    select max(started_at) as latest_started_at from loads
),

recent_loads as (
    select loads.batch_id
    from loads
    cross join latest
    where loads.started_at > latest.latest_started_at - interval '24 hours'
),

final as (
    select
        rejects.entity,
        rejects.reason,
        count(*) as rejected
    from rejects
    inner join recent_loads
        on rejects.batch_id = recent_loads.batch_id
    group by 1, 2
)

select * from final
order by rejected desc, entity asc, reason asc
limit %(limit)s
