-- The largest restatements a run recorded, for its materialization's metadata.
select
    metric,
    grain,
    period_start::text as period_start,
    dimension,
    dimension_value,
    old_value,
    new_value
from watch.restatements
where run_id = %(run_id)s
order by abs(coalesce(new_value, 0) - coalesce(old_value, 0)) desc
limit 10
