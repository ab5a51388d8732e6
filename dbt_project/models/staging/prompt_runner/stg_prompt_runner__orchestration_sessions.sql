{#
    A table kept incrementally, not a view: eight models and the snapshot read the current
    sessions, and a view would re-deduplicate every raw version for each of them, each
    night. A run recomputes the sessions that have a version loaded since the last build
    (minus the lookback), from all their versions, since an older version may arrive last.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy=var('incremental_strategy', 'delete+insert'),
        unique_key='session_id',
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ heavy_query_settings() }}",
            "{{ rebuild_if_inputs_were_reset() }}",
        ],
        indexes=[
            {'columns': ['session_id'], 'unique': true},
            {'columns': ['_loaded_at']},
        ],
    )
}}

with

sessions as (
    select * from {{ ref('base_prompt_runner__orchestration_sessions') }}
    {% if is_incremental() -%}
    -- an array: Postgres looks each id up in raw's index on it (sql/warehouse/0012)
    where session_id = any(array(
        select session_id
        from {{ ref('base_prompt_runner__orchestration_sessions') }}
        where {{ incremental_rows(
            ref('base_prompt_runner__orchestration_sessions'), ['session_id'], 'created_date'
        ) }}
    ))
    {%- endif %}
),

current_versions as (
    {{ keep_latest_version('sessions', partition_by=['session_id'], version_column='updated_at') }}
),

final as (
    select
        current_versions.*,
        -- template keys: lowercase hex SHA-256 of each template's UTF-8 bytes
        {%- for phase in var('phases') %}
        {{ sha256_hex(phase ~ '_template') }} as {{ phase }}_template_hash
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from current_versions
)

select * from final
