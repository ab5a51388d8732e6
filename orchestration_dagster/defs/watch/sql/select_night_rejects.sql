-- The night's batches of one entity: new lines (re-read duplicates left out) and rejects.
select
    coalesce(sum(lines_read - duplicates_skipped), 0) as new_lines,
    coalesce(sum(rows_rejected), 0) as rows_rejected
from audit.loads
where
    entity = %(entity)s
    and status = 'succeeded'
    and started_at >= %(night_start)s
    and started_at < %(night_end)s
