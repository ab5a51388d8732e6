-- A batch's rejects into audit.rejects, each record once: a record rejected before (same
-- entity, source and bytes, by an earlier batch or earlier in this one) is not written again.
-- Returns, per reason, how many were written.
with fresh as (
    select distinct on (reject_hash)
        line_number,
        reason,
        raw_record,
        raw_bytes,
        reject_hash
    from pg_temp.forge_batch_rejects
    order by reject_hash, line_number
),

written as (
    insert into audit.rejects (
        batch_id, entity, source_name, line_number, reason, raw_record, raw_bytes, reject_hash
    )
    select
        %(batch_id)s,
        %(entity)s,
        %(source_name)s,
        fresh.line_number,
        fresh.reason,
        fresh.raw_record,
        fresh.raw_bytes,
        fresh.reject_hash
    from fresh
    where not exists (
        select from audit.rejects as earlier
        where earlier.reject_hash = fresh.reject_hash
    )
    order by fresh.line_number
    returning reason
)

select
    reason,
    count(*) as rejects
from written
group by 1
order by 2 desc, 1
