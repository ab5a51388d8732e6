-- The batches a run committed, per entity: batches, rows loaded, rejected, duplicates, failed.
select
    entity,
    count(*) as batches,
    coalesce(sum(rows_loaded), 0) as rows_loaded,
    coalesce(sum(rows_rejected), 0) as rows_rejected,
    coalesce(sum(duplicates_skipped), 0) as duplicates_skipped,
    count(*) filter (where status <> 'succeeded') as failed
from audit.loads
where batch_id = any(%(batch_ids)s::text [])
group by entity
