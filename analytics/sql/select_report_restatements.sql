-- The restatements of the last 30 days, newest first.
select
    metric,
    grain,
    period_start,
    dimension,
    dimension_value,
    old_value,
    new_value,
    restated_at
from watch.restatements
where restated_at >= now() - interval '30 days'
order by restated_at desc, metric asc, grain asc, period_start asc
limit %(limit)s
