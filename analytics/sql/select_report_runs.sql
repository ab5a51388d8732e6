-- The runs of the last 30 nights (by start), newest first, with each stage's seconds.
select
    run_id,
    started_by,
    status,
    started_at,
    duration_seconds,
    ingest_seconds,
    dbt_seconds,
    checks_seconds,
    watch_seconds,
    models_built,
    tests_run,
    nodes_failed,
    rows_loaded,
    rows_rejected,
    failure_reasons
from watch.run_history
where started_at >= now() - interval '30 days'
order by started_at desc
