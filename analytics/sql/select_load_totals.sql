-- Loads per entity in the last day of loading: the 24 hours up to the latest batch's start.
with

loads as (
    select * from audit.loads
),

latest as (
    select max(started_at) as latest_started_at from loads
),

recent_loads as (
    select loads.*
    from loads
    cross join latest
    where loads.started_at > latest.latest_started_at - interval '24 hours'
),

final as (
    select
        entity,
        count(*) as batches,
        count(*) filter (where status = 'failed') as failed_batches,
        coalesce(sum(lines_read), 0) as lines_read,
        coalesce(sum(rows_loaded), 0) as rows_loaded,
        coalesce(sum(rows_rejected), 0) as rows_rejected,
        coalesce(sum(duplicates_skipped), 0) as duplicates_skipped,
        max(finished_at) as last_finished_at
    from recent_loads
    group by 1
)

select * from final
order by entity
