-- Per held batch: its rejects still rejected (never replayed, or rejected again by a replay),
-- and how many were never replayed at all.
select
    held.batch_id,
    count(rejects.reject_id) filter (
        where rejects.replay_outcome is null
        or rejects.replay_outcome not in ('loaded', 'duplicate')
    ) as unresolved,
    count(rejects.reject_id) filter (where rejects.replayed_at is null) as never_replayed
from audit.held_batches as held
left join audit.rejects as rejects
    on held.batch_id = rejects.batch_id
where held.batch_id = any(%(batch_ids)s)
group by held.batch_id
