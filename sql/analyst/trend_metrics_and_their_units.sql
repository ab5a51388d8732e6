-- Which metrics does the semantic layer define, in what unit, and how can they be split?
-- marts.dim_metrics is written from the metric definitions themselves (dbt_project/models/
-- semantic/); the trend metrics are in marts.metric_values per day, week and month. One row per
-- trend metric.
with

dim_metrics as (
    select * from marts.dim_metrics
    where is_trend
),

final as (
    select
        metric,
        label,
        unit,
        trend_dimensions,
        description
    from dim_metrics
)

select * from final
order by metric
