delete from watch.published_metric_values as published
where not exists (
    select from marts.metric_values
    where metric_values.metric_value_id = published.metric_value_id
)
