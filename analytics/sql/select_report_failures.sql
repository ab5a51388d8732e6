-- dbt nodes that failed or warned over the last 30 nights, newest first.
select
    run_started_at,
    node_name,
    resource_type,
    status,
    failures,
    message
from watch.dbt_node_history
where
    run_started_at >= now() - interval '30 days'
    and status in ('error', 'fail', 'runtime error', 'warn')
order by run_started_at desc, node_name asc
limit %(limit)s
