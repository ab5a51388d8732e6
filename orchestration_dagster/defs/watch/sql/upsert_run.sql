insert into watch.runs (
    run_id, job_name, started_by, partition_key, as_of, started_at, finished_at, status,
    dbt_elapsed_seconds, failure_reasons, recorded_at
) values (
    %(run_id)s, %(job_name)s, %(trigger)s, %(partition)s, %(as_of)s, %(started_at)s,
    %(finished_at)s, %(status)s, %(dbt_elapsed_seconds)s, %(failure_reasons)s, now()
)
on conflict (run_id) do update
    set
        status = excluded.status,
        finished_at = excluded.finished_at,
        failure_reasons = excluded.failure_reasons,
        dbt_elapsed_seconds = excluded.dbt_elapsed_seconds,
        recorded_at = now()
