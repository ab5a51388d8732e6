{#
    A table, not a view: it reads a staging table that an incremental full refresh replaces
    (drop ... cascade), and a view on it would vanish with it until rebuilt. The snapshot
    reads it.
#}
{{ config(materialized='table') }}

with

sessions as (
    select * from {{ ref('stg_prompt_runner__orchestration_sessions') }}
),

final as (
    select
        session_id,
        user_identifier,
        status,
        session_type,
        {%- for phase in var('phases') %}
        is_{{ phase }}_successful,
        {%- endfor %}
        is_successful,
        developer_rating,
        would_recommend,
        updated_at
    from sessions
)

select * from final
