{#
    A table kept incrementally, like the sessions: template_metrics and the tests read the
    current code metrics, and a view would re-deduplicate every raw version for each of them,
    each night. A run recomputes the records with a version loaded since the last build
    (minus the lookback), from all their versions.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy=var('incremental_strategy', 'delete+insert'),
        unique_key='code_metric_id',
        on_schema_change='append_new_columns',
        pre_hook="{{ rebuild_if_inputs_were_reset() }}",
        indexes=[
            {'columns': ['code_metric_id'], 'unique': true},
            {'columns': ['session_id']},
            {'columns': ['_loaded_at']},
        ],
    )
}}

with

code_metrics as (
    select * from {{ ref('base_prompt_runner__orchestration_code_metrics') }}
    {% if is_incremental() -%}
    -- an array: Postgres looks each id up in raw's index on it (sql/warehouse/0012)
    where code_metric_id = any(array(
        select code_metric_id
        from {{ ref('base_prompt_runner__orchestration_code_metrics') }}
        where {{ incremental_rows(
            ref('base_prompt_runner__orchestration_code_metrics'),
            ['code_metric_id'],
            'created_date'
        ) }}
    ))
    {%- endif %}
),

current_versions as (
    {{ keep_latest_version(
        'code_metrics', partition_by=['code_metric_id'], version_column='updated_at'
    ) }}
),

final as (
    select * from current_versions
)

select * from final
