-- Batches the reject-rate gate holds out of the marts, with where they came from.
select
    held.batch_id,
    held.entity,
    loads.source_name,
    held.held_at,
    coalesce(held.reject_rate, 0) as reject_rate,
    loads.rows_rejected,
    loads.lines_read - loads.duplicates_skipped as new_lines
from audit.held_batches as held
inner join audit.loads as loads
    on held.batch_id = loads.batch_id
where %(entity)s::text is null or held.entity = %(entity)s
order by held.held_at, held.batch_id
