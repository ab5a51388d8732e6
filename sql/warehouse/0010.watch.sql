-- depends: 0009.audit_stays_with_operators
-- Issue 14: the warehouse watches itself. Schema `watch` holds what ran (each Dagster run, its
-- steps, each dbt node), the daily measures the anomaly rule compares with their own history,
-- the anomalies it found, the metric values as last published and the restatements of them.
-- Written by the Dagster code location (orchestration_dagster/defs/watch/); analysts read the
-- views below and the anomalies and restatements (docs/analyst-guide.md, "How the warehouse
-- watches itself").

create schema if not exists watch;
revoke all on schema watch from public;

-- A load made inside a Dagster run carries the run's id: the raw asset sets forge.run_id on
-- its connection, and the loader's insert leaves the column to this default.
alter table audit.loads add column if not exists run_id text
default nullif(current_setting('forge.run_id', true), '');
create index if not exists loads_run_id_idx on audit.loads (run_id) where run_id is not null;

create table if not exists watch.runs (
    run_id text primary key,
    job_name text not null,
    started_by text not null,
    partition_key text,
    as_of timestamptz,
    started_at timestamptz,
    finished_at timestamptz,
    status text not null,
    dbt_elapsed_seconds double precision,
    failure_reasons text[] not null default '{}',
    recorded_at timestamptz not null default now()
);

create index if not exists runs_started_at_idx on watch.runs (started_at);

create table if not exists watch.run_steps (
    run_id text not null references watch.runs (run_id) on delete cascade,
    step_key text not null,
    stage_name text not null,
    started_at timestamptz,
    finished_at timestamptz,
    status text not null,
    primary key (run_id, step_key)
);

create table if not exists watch.dbt_nodes (
    run_id text not null references watch.runs (run_id) on delete cascade,
    unique_id text not null,
    resource_type text not null,
    node_name text not null,
    status text not null,
    seconds double precision,
    rows_affected bigint,
    failures bigint,
    message text,
    started_at timestamptz,
    primary key (run_id, unique_id)
);

-- One value per subject (a raw table, a metric), measure and day: the compact history the
-- anomaly rule reads. Raw tables' days are nights (their loads), metrics' days their event day.
create table if not exists watch.daily_measures (
    subject text not null,
    measure text not null,
    measure_date date not null,
    value double precision,
    sample_size bigint,
    run_id text,
    measured_at timestamptz not null default now(),
    primary key (subject, measure, measure_date)
);

create table if not exists watch.anomalies (
    subject text not null,
    measure text not null,
    measure_date date not null,
    value double precision,
    expected double precision not null,
    low double precision not null,
    high double precision not null,
    score double precision not null,
    history_days integer not null,
    check_name text not null,
    severity text not null check (severity in ('warn', 'error')),
    run_id text,
    detected_at timestamptz not null default now(),
    primary key (subject, measure, measure_date)
);

create index if not exists anomalies_day_idx on watch.anomalies (measure_date);

-- The metric values (marts.metric_values) as the last run published them.
create table if not exists watch.published_metric_values (
    metric_value_id text primary key,
    metric text not null,
    grain text not null,
    period_start date not null,
    period_end date not null,
    dimension text,
    dimension_value text,
    value double precision,
    -- the period had ended by the publishing run's as-of day: a later change restates it
    is_closed boolean not null,
    run_id text,
    published_at timestamptz not null
);

create table if not exists watch.restatements (
    restatement_id bigint generated always as identity primary key,
    source text not null,
    metric text not null,
    grain text not null,
    period_start date not null,
    period_end date not null,
    dimension text,
    dimension_value text,
    old_value double precision,
    new_value double precision,
    published_run_id text,
    published_at timestamptz not null,
    run_id text,
    restated_at timestamptz not null default now()
);

create index if not exists restatements_restated_at_idx on watch.restatements (restated_at);
create index if not exists restatements_metric_idx on watch.restatements (metric, period_start);

-- One row per run: when, why, how long each stage took, what dbt did, what was loaded.
create or replace view watch.run_history as
with

steps as (
    select
        run_id,
        stage_name,
        extract(
            epoch from max(finished_at) - min(started_at)
        )::double precision as seconds
    from watch.run_steps
    group by 1, 2
),

stages as (
    select
        run_id,
        sum(seconds) filter (where stage_name = 'ingest') as ingest_seconds,
        sum(seconds) filter (where stage_name = 'dbt') as dbt_seconds,
        sum(seconds) filter (where stage_name = 'checks') as checks_seconds,
        sum(seconds) filter (where stage_name = 'watch') as watch_seconds
    from steps
    group by 1
),

nodes as (
    select
        run_id,
        count(*) filter (where resource_type in ('model', 'snapshot', 'seed')) as models_built,
        count(*) filter (where resource_type in ('test', 'unit_test')) as tests_run,
        count(*) filter (where status in ('error', 'fail', 'runtime error')) as nodes_failed,
        count(*) filter (where status = 'warn') as tests_warned,
        count(*) filter (where status = 'skipped') as nodes_skipped
    from watch.dbt_nodes
    group by 1
),

loads as (
    select
        run_id,
        count(*) as batches,
        sum(rows_loaded) as rows_loaded,
        sum(rows_rejected) as rows_rejected
    from audit.loads
    where run_id is not null
    group by 1
),

final as (
    select
        runs.run_id,
        runs.job_name,
        runs.started_by,
        runs.partition_key,
        runs.as_of,
        runs.started_at,
        runs.finished_at,
        runs.status,
        runs.failure_reasons,
        extract(
            epoch from runs.finished_at - runs.started_at
        )::double precision as duration_seconds,
        stages.ingest_seconds,
        stages.dbt_seconds,
        stages.checks_seconds,
        stages.watch_seconds,
        coalesce(nodes.models_built, 0) as models_built,
        coalesce(nodes.tests_run, 0) as tests_run,
        coalesce(nodes.nodes_failed, 0) as nodes_failed,
        coalesce(nodes.tests_warned, 0) as tests_warned,
        coalesce(nodes.nodes_skipped, 0) as nodes_skipped,
        coalesce(loads.batches, 0) as batches,
        coalesce(loads.rows_loaded, 0) as rows_loaded,
        coalesce(loads.rows_rejected, 0) as rows_rejected
    from watch.runs as runs
    left join stages
        on runs.run_id = stages.run_id
    left join nodes
        on runs.run_id = nodes.run_id
    left join loads
        on runs.run_id = loads.run_id
)

select * from final;

-- One row per dbt node per run, with the run's trigger and start beside it.
create or replace view watch.dbt_node_history as
select
    nodes.run_id,
    runs.started_by,
    runs.started_at as run_started_at,
    nodes.unique_id,
    nodes.resource_type,
    nodes.node_name,
    nodes.status,
    nodes.seconds,
    nodes.rows_affected,
    nodes.failures,
    nodes.message
from watch.dbt_nodes as nodes
inner join watch.runs as runs
    on nodes.run_id = runs.run_id;

-- One row per batch loaded inside a run: the join between a run and audit.loads.
create or replace view watch.run_loads as
select
    loads.run_id,
    loads.batch_id,
    loads.entity,
    loads.source,
    loads.source_name,
    loads.lines_read,
    loads.rows_loaded,
    loads.rows_rejected,
    loads.duplicates_skipped,
    loads.started_at,
    loads.finished_at,
    loads.status
from audit.loads as loads
where loads.run_id is not null;

grant usage on schema watch to forge_analyst, forge_transformer;
grant select on
watch.run_history,
watch.dbt_node_history,
watch.run_loads,
watch.anomalies,
watch.restatements,
watch.daily_measures
to forge_analyst;
-- dbt's view marts.metric_restatements reads the restatements for BI tools and the API
grant select on watch.restatements to forge_transformer;
