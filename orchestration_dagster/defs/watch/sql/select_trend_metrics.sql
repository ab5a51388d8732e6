select
    metric,
    unit,
    metric_type
from marts.dim_metrics
where is_trend
order by metric
