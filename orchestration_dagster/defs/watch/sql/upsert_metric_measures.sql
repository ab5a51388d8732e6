-- Each trend metric's value per day (no dimension), as the semantic layer publishes it; only
-- the values that changed are written.
insert into watch.daily_measures (
    subject, measure, measure_date, value, sample_size, run_id, measured_at
)
select
    'metric.' || metric_values.metric as subject,
    'value' as measure,
    metric_values.period_start as measure_date,
    metric_values.value,
    metric_values.sample_size,
    %(run_id)s::text as run_id,  -- noqa: RF02, AL09 (a parameter, not a column)
    now() as measured_at
from marts.metric_values as metric_values
inner join marts.dim_metrics as dim_metrics
    on metric_values.metric = dim_metrics.metric
where
    metric_values.grain = 'day'
    and metric_values.dimension is null
    and dim_metrics.is_trend
on conflict (subject, measure, measure_date) do update
    set
        value = excluded.value,
        sample_size = excluded.sample_size,
        run_id = excluded.run_id,
        measured_at = excluded.measured_at
    where
    daily_measures.value is distinct from excluded.value
    or daily_measures.sample_size is distinct from excluded.sample_size
