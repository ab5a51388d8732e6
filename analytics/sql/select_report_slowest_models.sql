-- The models that took longest over the last 30 nights: median and worst seconds.
select
    node_name,
    resource_type,
    count(*) as runs,
    percentile_cont(0.5) within group (order by seconds) as median_seconds,
    max(seconds) as max_seconds
from watch.dbt_node_history
where
    run_started_at >= now() - interval '30 days'
    and resource_type in ('model', 'snapshot', 'seed')
    and seconds is not null
group by 1, 2
order by median_seconds desc
limit %(limit)s
