{#
    Kept incrementally, one row per session and phase type, template or not: a run rewrites
    the five rows of each session whose current version changed, so a template that a newer
    version no longer has becomes a row without a hash instead of lingering. Readers keep
    the rows with a template_hash.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy=var('incremental_strategy', 'delete+insert'),
        unique_key=['session_id', 'template_type'],
        on_schema_change='append_new_columns',
        pre_hook="{{ rebuild_if_inputs_were_reset() }}",
        indexes=[
            {'columns': ['session_id', 'template_type'], 'unique': true},
            {'columns': ['template_type', 'template_hash']},
            {'columns': ['session_created_at']},
            {'columns': ['_loaded_at']},
        ],
    )
}}

with

-- Only the columns used below: the five branches read this CTE, so Postgres materializes
-- it, and the sessions' prompts, outputs and results would be copied along for nothing.
sessions as (
    select
        session_id,
        {%- for phase in var('phases') %}
        {{ phase }}_template,
        {{ phase }}_template_hash,
        is_{{ phase }}_successful,
        {{ phase }}_started_at,
        {{ phase }}_completed_at,
        {%- endfor %}
        feature_category,
        complexity_score,
        developer_rating,
        created_at,
        _loaded_at
    from {{ ref('stg_prompt_runner__orchestration_sessions') }}
    {% if is_incremental() -%}
    where {{ rows_to_rebuild('created_date') }}
    {%- endif %}
),

-- One branch per phase type: the session's template for it, with that phase's outcome.
templates_unpivoted as (
    {%- for phase in var('phases') %}
    select
        session_id,
        '{{ phase }}'::text as template_type,
        {{ phase }}_template_hash as template_hash,
        {{ phase }}_template as template_text,
        is_{{ phase }}_successful as is_phase_successful,
        {{ phase }}_started_at as phase_started_at,
        {{ phase }}_completed_at as phase_completed_at,
        feature_category,
        complexity_score,
        developer_rating,
        created_at as session_created_at,
        _loaded_at
    from sessions
    {% if not loop.last %}
    union all
    {% endif %}
    {%- endfor %}
),

final as (
    select
        session_id,
        template_type,
        template_hash,
        template_text,
        is_phase_successful,
        phase_started_at,
        phase_completed_at,
        feature_category,
        complexity_score,
        {{ complexity_category('complexity_score') }} as complexity_category,
        developer_rating,
        session_created_at,
        extract(epoch from phase_completed_at - phase_started_at)::double precision
            as phase_completion_seconds,
        _loaded_at
    from templates_unpivoted
)

select * from final
