{#
    Money is numeric, exact: prices have 6 decimals, so a cost per token count has 9, and
    sums do not depend on the order rows are added in (a rebuild gives the same cents).
    A phase execution is priced at the price of its model valid on its phase_date. Tokens
    that cannot be priced (no price for the model on that date, no model named, or only a
    total without the prompt/completion split) are counted in unpriced_tokens and their
    cost stays null: a missing price must show as missing, never as zero.

    Incremental: a run reprices every phase execution of the sessions that have a row to
    rebuild in fct_phase_executions or fct_sessions (sessions_to_rebuild()), since the
    session gives the user and the template. A change of the price seed empties the model
    first (rebuild_if_prices_changed()), so every row is repriced in that run.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy=var('incremental_strategy', 'delete+insert'),
        unique_key=['session_id', 'phase'],
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ heavy_query_settings() }}",
            "{{ rebuild_if_prices_changed() }}",
            "{{ rebuild_if_inputs_were_reset() }}",
        ],
    )
}}

{% set phases = var('phases') %}

with

-- Each is read twice in an incremental run (the sessions to rebuild, then their rows): not
-- materialized, so each filter reaches the indexes on session_id and _loaded_at.
phase_executions_all as not materialized (
    select * from {{ ref('fct_phase_executions') }}
),

sessions_all as not materialized (
    select * from {{ ref('fct_sessions') }}
),

prices as (
    select * from {{ ref('llm_model_prices') }}
),

{% if is_incremental() -%}
sessions_to_rebuild as (
    {{ sessions_to_rebuild([
        ('phase_executions_all', 'phase_date'),
        ('sessions_all', 'created_date'),
    ]) }}
),

{% endif -%}
phase_executions as (
    select * from phase_executions_all
    {%- if is_incremental() %}
    where
        phase_executions_all.session_id in (
            select sessions_to_rebuild.session_id from sessions_to_rebuild
        )
    {%- endif %}
),

sessions as (
    select * from sessions_all
    {%- if is_incremental() %}
    where sessions_all.session_id in (select sessions_to_rebuild.session_id from sessions_to_rebuild)
    {%- endif %}
),

phase_executions_with_prices as (
    select
        phase_executions.session_id,
        phase_executions.phase,
        phase_executions.phase_date,
        phase_executions.model_used,
        phase_executions.prompt_tokens,
        phase_executions.completion_tokens,
        phase_executions.total_tokens,
        phase_executions.is_successful,
        phase_executions._loaded_at,
        prices.valid_from as price_valid_from,
        prices.prompt_usd_per_1k_tokens,
        prices.completion_usd_per_1k_tokens,
        case
            when
                phase_executions.total_tokens is null
                and phase_executions.prompt_tokens is null
                and phase_executions.completion_tokens is null
                then 'no_tokens'
            when phase_executions.model_used is null then 'no_model'
            when prices.model is null then 'no_price'
            when
                phase_executions.prompt_tokens is null
                or phase_executions.completion_tokens is null
                then 'no_token_split'
            else 'priced'
        end as pricing_status
    from phase_executions
    left join prices
        on
            phase_executions.model_used = prices.model
            and phase_executions.phase_date >= prices.valid_from
            and (prices.valid_to is null or phase_executions.phase_date < prices.valid_to)
),

final as (
    select
        -- ids
        phase_executions_with_prices.session_id,
        phase_executions_with_prices.phase,
        sessions.user_identifier,
        case phase_executions_with_prices.phase
            {%- for phase in phases %}
            when '{{ phase }}' then sessions.{{ phase }}_template_hash
            {%- endfor %}
            else null
        end as template_hash,

        -- dates
        phase_executions_with_prices.phase_date,

        -- model and tokens
        phase_executions_with_prices.model_used,
        phase_executions_with_prices.prompt_tokens,
        phase_executions_with_prices.completion_tokens,
        phase_executions_with_prices.total_tokens,

        -- outcome
        phase_executions_with_prices.is_successful,
        sessions.is_successful as is_session_successful,

        -- price
        phase_executions_with_prices.pricing_status,
        phase_executions_with_prices.pricing_status = 'priced' as is_priced,
        case
            when phase_executions_with_prices.pricing_status = 'priced'
                then phase_executions_with_prices.price_valid_from
        end as price_valid_from,
        case
            when phase_executions_with_prices.pricing_status = 'priced'
                then phase_executions_with_prices.prompt_usd_per_1k_tokens
        end as prompt_usd_per_1k_tokens,
        case
            when phase_executions_with_prices.pricing_status = 'priced'
                then phase_executions_with_prices.completion_usd_per_1k_tokens
        end as completion_usd_per_1k_tokens,

        -- cost (null unless priced)
        case
            when phase_executions_with_prices.pricing_status = 'priced'
                then
                    phase_executions_with_prices.prompt_tokens
                    * phase_executions_with_prices.prompt_usd_per_1k_tokens / 1000
        end::numeric(20, 9) as prompt_cost_usd,
        case
            when phase_executions_with_prices.pricing_status = 'priced'
                then
                    phase_executions_with_prices.completion_tokens
                    * phase_executions_with_prices.completion_usd_per_1k_tokens / 1000
        end::numeric(20, 9) as completion_cost_usd,
        case
            when phase_executions_with_prices.pricing_status = 'priced'
                then
                    (
                        phase_executions_with_prices.prompt_tokens
                        * phase_executions_with_prices.prompt_usd_per_1k_tokens
                        + phase_executions_with_prices.completion_tokens
                        * phase_executions_with_prices.completion_usd_per_1k_tokens
                    ) / 1000
        end::numeric(20, 9) as cost_usd,
        case
            when phase_executions_with_prices.pricing_status in ('priced', 'no_tokens') then 0
            else
                coalesce(
                    phase_executions_with_prices.total_tokens,
                    coalesce(phase_executions_with_prices.prompt_tokens, 0)
                    + coalesce(phase_executions_with_prices.completion_tokens, 0)
                )
        end::bigint as unpriced_tokens,

        -- loader, and the prices built in
        greatest(phase_executions_with_prices._loaded_at, sessions._loaded_at) as _loaded_at,
        {{ price_list_version() }} as price_list_version
    from phase_executions_with_prices
    left join sessions
        on phase_executions_with_prices.session_id = sessions.session_id
)

select * from final
