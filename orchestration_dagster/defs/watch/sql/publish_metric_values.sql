-- The metric values as this run publishes them: new and changed rows written, gone ones
-- deleted (delete_unpublished_metric_values.sql), unchanged ones left as they are.
insert into watch.published_metric_values (
    metric_value_id, metric, grain, period_start, period_end, dimension, dimension_value, value,
    is_closed, run_id, published_at
)
select
    metric_value_id,
    metric,
    grain,
    period_start,
    period_end,
    dimension,
    dimension_value,
    value,
    period_end <= %(as_of_day)s as is_closed,
    %(run_id)s,
    now() as published_at
from marts.metric_values
on conflict (metric_value_id) do update
    set
        value = excluded.value,
        is_closed = excluded.is_closed,
        run_id = excluded.run_id,
        published_at = excluded.published_at
    where
    published_metric_values.value is distinct from excluded.value
    or published_metric_values.is_closed is distinct from excluded.is_closed
