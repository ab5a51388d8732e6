-- Every metric of the semantic layer (marts.dim_metrics), the trend metrics first.
select
    metric,
    label,
    metric_type,
    unit,
    is_trend,
    semantic_layer_group_by,
    description
from marts.dim_metrics
order by is_trend desc, metric asc
