-- A page of restatements, newest first, with each metric's unit and the total that match.
with

restatements as (
    select * from marts.metric_restatements
    where
        (%(metric)s::text is null or metric = %(metric)s::text)
        and (%(grain)s::text is null or grain = %(grain)s::text)
        and (%(since)s::date is null or restated_at >= %(since)s::date)
),

metrics as (
    select * from marts.dim_metrics
),

final as (
    select
        restatements.restatement_id,
        restatements.metric,
        metrics.unit,
        restatements.grain,
        restatements.period_start,
        restatements.period_end,
        restatements.dimension,
        restatements.dimension_value,
        restatements.old_value,
        restatements.new_value,
        restatements.absolute_change,
        restatements.relative_change,
        restatements.published_run_id,
        restatements.published_at,
        restatements.restated_by_run_id,
        restatements.restated_at,
        count(*) over () as total
    from restatements
    left join metrics
        on restatements.metric = metrics.metric
)

select * from final
order by restated_at desc, restatement_id desc
limit %(limit)s offset %(offset)s
