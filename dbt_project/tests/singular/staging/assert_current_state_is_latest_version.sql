-- Staging must hold, for each key of a mutable entity, the version with the greatest
-- updated_at (docs/contract.md section 3) among the versions outside held batches. A row here
-- is a key whose staged updated_at is not the greatest one in raw: check keep_latest_version()
-- and the staging model's current_versions.
--
-- On a nightly run (changed_since() set) the keys compared are those with a version loaded
-- since then, each against all of its versions in raw; on every other run, every key.

{# Dagster shows this test as a check on stg_prompt_runner__orchestration_sessions (a test
   of several models has no single asset of its own): dagster-dbt reads meta.dagster.ref. #}
{{ config(meta={'dagster': {'ref': {'name': 'stg_prompt_runner__orchestration_sessions'}}}) }}
{%- set night = tests_scoped() %}

with

-- Read twice on a night (the keys it changed, then their versions): not materialized, so
-- Postgres reads each through its filter instead of copying the whole raw table first. The
-- keys are arrays below: Postgres looks each up in the index on raw's id and on staging's key
-- (`in (select ...)` hashed the night's keys and scanned all of raw).
raw_sessions as not materialized (
    {{ without_held_batches(source('prompt_runner', 'orchestration_sessions')) }}
),

raw_code_metrics as not materialized (
    {{ without_held_batches(source('prompt_runner', 'orchestration_code_metrics')) }}
),

raw_project_outcomes as not materialized (
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

{% if night -%}
sessions_changed as (
    select raw_sessions.id
    from raw_sessions
    where {{ changed_rows('raw_sessions._effective_loaded_at') }}
),

code_metrics_changed as (
    select raw_code_metrics.id
    from raw_code_metrics
    where {{ changed_rows('raw_code_metrics._effective_loaded_at') }}
),

project_outcomes_changed as (
    select raw_project_outcomes.id
    from raw_project_outcomes
    where {{ changed_rows('raw_project_outcomes._effective_loaded_at') }}
),

{% endif -%}
latest_in_raw as (
    select
        'orchestration_sessions' as entity,
        id::text as record_key,
        max(updated_at) as latest_updated_at
    from raw_sessions
    {%- if night %}
    where raw_sessions.id = any(array(select sessions_changed.id from sessions_changed))
    {%- endif %}
    group by 1, 2
    union all
    select
        'orchestration_code_metrics' as entity,
        id::text as record_key,
        max(updated_at) as latest_updated_at
    from raw_code_metrics
    {%- if night %}
    where
        raw_code_metrics.id = any(array(
            select code_metrics_changed.id from code_metrics_changed
        ))
    {%- endif %}
    group by 1, 2
    union all
    select
        'project_outcomes' as entity,
        id::text as record_key,
        max(updated_at) as latest_updated_at
    from raw_project_outcomes
    {%- if night %}
    where
        raw_project_outcomes.id = any(array(
            select project_outcomes_changed.id from project_outcomes_changed
        ))
    {%- endif %}
    group by 1, 2
),

staged as (
    select
        'orchestration_sessions' as entity,
        session_id::text as record_key,
        updated_at
    from sessions
    {%- if night %}
    where sessions.session_id = any(array(select sessions_changed.id from sessions_changed))
    {%- endif %}
    union all
    select
        'orchestration_code_metrics' as entity,
        code_metric_id::text as record_key,
        updated_at
    from code_metrics
    {%- if night %}
    where
        code_metrics.code_metric_id = any(array(
            select code_metrics_changed.id from code_metrics_changed
        ))
    {%- endif %}
    union all
    select
        'project_outcomes' as entity,
        project_outcome_id::text as record_key,
        updated_at
    from project_outcomes
    {%- if night %}
    where
        project_outcomes.project_outcome_id = any(array(
            select project_outcomes_changed.id from project_outcomes_changed
        ))
    {%- endif %}
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
