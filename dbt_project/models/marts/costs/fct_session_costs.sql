{#
    A session's cost is known only when every one of its phase executions was priced: a
    sum over the priced ones alone would make a session with an unpriced model look cheap.
    priced_cost_usd keeps that partial sum, named for what it is.

    Incremental: a run recomputes the sessions that have a row to rebuild in fct_sessions or
    fct_phase_execution_costs (sessions_to_rebuild()); a change of the price seed empties
    it first, as it does fct_phase_execution_costs (rebuild_if_prices_changed()).
#}
{{
    config(
        materialized='incremental',
        incremental_strategy=var('incremental_strategy', 'delete+insert'),
        unique_key='session_id',
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ rebuild_if_prices_changed() }}",
            "{{ rebuild_if_inputs_were_reset() }}",
        ],
    )
}}

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

phase_costs_per_session as (
    select
        session_id,
        count(*) as phase_execution_count,
        count(*) filter (where is_priced) as priced_phase_execution_count,
        sum(total_tokens) as total_tokens,
        sum(unpriced_tokens) as unpriced_tokens,
        coalesce(sum(cost_usd), 0) as priced_cost_usd,
        max(_loaded_at) as last_loaded_at
    from phase_costs
    group by 1
),

sessions_with_costs as (
    select
        sessions.session_id,
        sessions.user_identifier,
        sessions.created_date,
        sessions.status,
        sessions.is_successful,
        coalesce(phase_costs_per_session.phase_execution_count, 0) as phase_execution_count,
        coalesce(
            phase_costs_per_session.priced_phase_execution_count, 0
        ) as priced_phase_execution_count,
        phase_costs_per_session.total_tokens,
        coalesce(phase_costs_per_session.unpriced_tokens, 0) as unpriced_tokens,
        coalesce(phase_costs_per_session.priced_cost_usd, 0) as priced_cost_usd,
        greatest(sessions._loaded_at, phase_costs_per_session.last_loaded_at) as _loaded_at
    from sessions
    left join phase_costs_per_session
        on sessions.session_id = phase_costs_per_session.session_id
),

final as (
    select
        -- ids
        session_id,
        user_identifier,

        -- dates
        created_date,

        -- outcome
        status,
        is_successful,
        is_successful is not null as is_finished,

        -- tokens
        phase_execution_count::bigint as phase_execution_count,
        priced_phase_execution_count::bigint as priced_phase_execution_count,
        total_tokens::bigint as total_tokens,
        unpriced_tokens::bigint as unpriced_tokens,

        -- cost
        case
            when phase_execution_count = 0 then 'no_phase_executions'
            when priced_phase_execution_count = phase_execution_count then 'complete'
            else 'partial'
        end as cost_status,
        priced_cost_usd::numeric(20, 9) as priced_cost_usd,
        case
            when phase_execution_count > 0 and priced_phase_execution_count = phase_execution_count
                then priced_cost_usd
        end::numeric(20, 9) as cost_usd,

        -- loader, and the prices built in
        _loaded_at,
        {{ price_list_version() }} as price_list_version
    from sessions_with_costs
)

select * from final
