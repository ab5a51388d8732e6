{#
    A table, not a view: it reads a staging table that an incremental full refresh replaces
    (drop ... cascade), and a view on it would vanish with it until rebuilt. The snapshot
    reads it.
#}
{{ config(materialized='table') }}

with

projects as (
    select * from {{ ref('stg_dataforge__project_outcomes') }}
),

final as (
    select
        project_outcome_id,
        pattern_id,
        project_name,
        status,
        last_build_status,
        last_built_at,
        test_pass_rate,
        deployment_status,
        updated_at
    from projects
)

select * from final
