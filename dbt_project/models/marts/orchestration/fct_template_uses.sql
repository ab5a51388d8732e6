{#
    A session uses a template in a phase when it names one for that phase (its
    <phase>_template_hash), whether or not the phase has run yet: this is the usage that
    template_metrics counts, and its success is the session's <phase>_success.

    Incremental: a run recomputes every use of the sessions that have a row to rebuild in
    fct_sessions or fct_phase_execution_costs (sessions_to_rebuild()). A pre-hook first deletes
    those sessions' uses (delete_sessions_to_rebuild()), so a template that a session's new
    version no longer names leaves no row behind; a change of the price seed empties the model
    first, as it does fct_phase_execution_costs (rebuild_if_prices_changed()).
#}
{{
    config(
        materialized='incremental',
        incremental_strategy=var('incremental_strategy', 'delete+insert'),
        unique_key=['session_id', 'template_type'],
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ rebuild_if_prices_changed() }}",
            "{{ rebuild_if_inputs_were_reset() }}",
            "{{ delete_sessions_to_rebuild([
                ('fct_sessions', 'created_date'),
                ('fct_phase_execution_costs', 'phase_date'),
            ]) }}",
        ],
    )
}}

{% set phases = var('phases') %}

with

-- Each is read twice in an incremental run: not materialized, so each filter reaches the
-- indexes on session_id and _loaded_at.
sessions_all as not materialized (
    select * from {{ ref('fct_sessions') }}
),

phase_costs_all as not materialized (
    select * from {{ ref('fct_phase_execution_costs') }}
),

{% if is_incremental() -%}
sessions_to_rebuild as (
    {{ sessions_to_rebuild([
        ('sessions_all', 'created_date'),
        ('phase_costs_all', 'phase_date'),
    ]) }}
),

{% endif -%}
sessions as (
    select * from sessions_all
    {%- if is_incremental() %}
    where sessions_all.session_id in (select sessions_to_rebuild.session_id from sessions_to_rebuild)
    {%- endif %}
),

phase_costs as (
    select * from phase_costs_all
    {%- if is_incremental() %}
    where
        phase_costs_all.session_id in (
            select sessions_to_rebuild.session_id from sessions_to_rebuild
        )
    {%- endif %}
),

templates_unpivoted as (
    {%- for phase in phases %}
    select
        session_id,
        '{{ phase }}'::text as template_type,
        {{ phase }}_template_hash as template_hash,
        user_identifier,
        created_date,
        is_{{ phase }}_successful as is_successful,
        _loaded_at
    from sessions
    where {{ phase }}_template_hash is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        -- ids
        templates_unpivoted.session_id,
        templates_unpivoted.template_type,
        templates_unpivoted.template_hash,
        templates_unpivoted.user_identifier,

        -- dates
        templates_unpivoted.created_date,

        -- outcome
        templates_unpivoted.is_successful,
        templates_unpivoted.is_successful is not null as is_finished,

        -- the phase execution the template drove, and its cost
        phase_costs.session_id is not null as has_phase_execution,
        phase_costs.model_used,
        phase_costs.total_tokens,
        phase_costs.pricing_status,
        phase_costs.cost_usd,
        coalesce(phase_costs.unpriced_tokens, 0)::bigint as unpriced_tokens,

        -- loader, and the prices built in
        greatest(templates_unpivoted._loaded_at, phase_costs._loaded_at) as _loaded_at,
        {{ price_list_version() }} as price_list_version
    from templates_unpivoted
    left join phase_costs
        on
            templates_unpivoted.session_id = phase_costs.session_id
            and templates_unpivoted.template_type = phase_costs.phase
)

select * from final
