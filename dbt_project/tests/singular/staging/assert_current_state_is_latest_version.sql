-- Staging must hold, for each key of a mutable entity, the version with the greatest
-- updated_at (docs/contract.md section 3) among the versions outside held batches. A row here
-- is a key whose staged updated_at is not the greatest one in raw: check keep_latest_version()
-- and the staging model's current_versions.

{# Dagster shows this test as a check on stg_prompt_runner__orchestration_sessions (a test
   of several models has no single asset of its own): dagster-dbt reads meta.dagster.ref. #}
{{ config(meta={'dagster': {'ref': {'name': 'stg_prompt_runner__orchestration_sessions'}}}) }}

with

raw_sessions as (
    {{ without_held_batches(source('prompt_runner', 'orchestration_sessions')) }}
),

raw_code_metrics as (
    {{ without_held_batches(source('prompt_runner', 'orchestration_code_metrics')) }}
),

raw_project_outcomes as (
    {{ without_held_batches(source('dataforge', 'project_outcomes')) }}
),

sessions as (
    select * from {{ ref('stg_prompt_runner__orchestration_sessions') }}
),

code_metrics as (
    select * from {{ ref('stg_prompt_runner__orchestration_code_metrics') }}
),

project_outcomes as (
    select * from {{ ref('stg_dataforge__project_outcomes') }}
),

latest_in_raw as (
    select
        'orchestration_sessions' as entity,
        id::text as record_key,
        max(updated_at) as latest_updated_at
    from raw_sessions
    group by 1, 2
    union all
    select
        'orchestration_code_metrics' as entity,
        id::text as record_key,
        max(updated_at) as latest_updated_at
    from raw_code_metrics
    group by 1, 2
    union all
    select
        'project_outcomes' as entity,
        id::text as record_key,
        max(updated_at) as latest_updated_at
    from raw_project_outcomes
    group by 1, 2
),

staged as (
    select
        'orchestration_sessions' as entity,
        session_id::text as record_key,
        updated_at
    from sessions
    union all
    select
        'orchestration_code_metrics' as entity,
        code_metric_id::text as record_key,
        updated_at
    from code_metrics
    union all
    select
        'project_outcomes' as entity,
        project_outcome_id::text as record_key,
        updated_at
    from project_outcomes
),

final as (
    select
        latest_in_raw.entity,
        latest_in_raw.record_key,
        latest_in_raw.latest_updated_at,
        staged.updated_at as staged_updated_at
    from latest_in_raw
    left join staged
        on
            latest_in_raw.entity = staged.entity
            and latest_in_raw.record_key = staged.record_key
    where staged.updated_at is distinct from latest_in_raw.latest_updated_at
)

select * from final
