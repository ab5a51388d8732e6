-- Every published value of a period that had closed when it was published (and every new
-- value of a period closed by then) that moved by more than the tolerance, as one row each.
with

published as (
    select * from watch.published_metric_values
),

current_values as (
    select * from marts.metric_values
),

last_publication as (
    select
        max(period_end) filter (where is_closed) as closed_until,
        max(published_at) as published_at
    from published
),

compared as (
    select
        coalesce(published.metric, current_values.metric) as metric,
        coalesce(published.grain, current_values.grain) as grain,
        coalesce(published.period_start, current_values.period_start) as period_start,
        coalesce(published.period_end, current_values.period_end) as period_end,
        coalesce(published.dimension, current_values.dimension) as dimension,
        coalesce(published.dimension_value, current_values.dimension_value) as dimension_value,
        published.value as old_value,
        current_values.value as new_value,
        published.run_id as published_run_id,
        coalesce(published.published_at, last_publication.published_at) as published_at,
        coalesce(
            published.is_closed, current_values.period_end <= last_publication.closed_until
        ) as was_closed
    from published
    full outer join current_values
        on published.metric_value_id = current_values.metric_value_id
    cross join last_publication
),

final as (
    select
        'marts.metric_values' as source,
        metric,
        grain,
        period_start,
        period_end,
        dimension,
        dimension_value,
        old_value,
        new_value,
        published_run_id,
        published_at,
        %(run_id)s
    from compared
    where
        was_closed
        and old_value is distinct from new_value
        and (
            old_value is null
            or new_value is null
            or abs(new_value - old_value)
            > greatest(%(tolerance)s * greatest(abs(old_value), abs(new_value)), 1e-9)
        )
)

insert into watch.restatements (
    source, metric, grain, period_start, period_end, dimension, dimension_value, old_value,
    new_value, published_run_id, published_at, run_id
)
select * from final
