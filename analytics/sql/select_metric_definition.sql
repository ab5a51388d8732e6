-- One trend metric of marts.dim_metrics (its unit, dimensions, numerator and denominator
-- metrics) and the build's as_of; no row when the warehouse does not carry it.
select
    metric,
    label,
    description,
    unit,
    numerator_metric,
    denominator_metric,
    trend_dimensions,
    as_of
from marts.dim_metrics
where metric = %(metric)s and is_trend
