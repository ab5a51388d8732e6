{#
    A table kept incrementally, not a view: six models and the snapshot read the current
    projects, and a view would re-deduplicate every raw version for each of them, each
    night. A run recomputes the projects that have a version loaded since the last build
    (minus the lookback), from all their versions, since an older version may arrive last.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy=var('incremental_strategy', 'delete+insert'),
        unique_key='project_outcome_id',
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ heavy_query_settings() }}",
            "{{ rebuild_if_inputs_were_reset() }}",
        ],
        indexes=[
            {'columns': ['project_outcome_id'], 'unique': true},
            {'columns': ['_loaded_at']},
        ],
    )
}}

with

project_outcomes as (
    select * from {{ ref('base_dataforge__project_outcomes') }}
    {% if is_incremental() -%}
    -- an array: Postgres looks each id up in raw's index on it (sql/warehouse/0012)
    where project_outcome_id = any(array(
        select project_outcome_id
        from {{ ref('base_dataforge__project_outcomes') }}
        where {{ incremental_rows(
            ref('base_dataforge__project_outcomes'), ['project_outcome_id'], 'created_date'
        ) }}
    ))
    {%- endif %}
),

current_versions as (
    {{ keep_latest_version(
        'project_outcomes', partition_by=['project_outcome_id'], version_column='updated_at'
    ) }}
),

final as (
    select * from current_versions
)

select * from final
