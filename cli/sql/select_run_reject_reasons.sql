-- The most frequent reject reasons of a run's batches.
select
    reason,
    count(*) as rejected
from audit.rejects
where batch_id = any(%(batch_ids)s::text [])
group by reason
order by rejected desc, reason
limit %(limit)s
