-- What do the LLM calls cost, by model and phase?
-- marts.fct_phase_execution_costs prices each phase execution's tokens at the price of its
-- model valid on its day (seed llm_model_prices: example prices, edit them). Tokens without a
-- price are never counted as free: they are in unpriced_tokens, beside the cost. One row per
-- model and phase.
with

fct_phase_execution_costs as (
    select * from marts.fct_phase_execution_costs
),

final as (
    select
        model_used,
        phase,
        count(*) as phase_executions,
        count(*) filter (where is_priced) as priced_phase_executions,
        sum(total_tokens) as total_tokens,
        sum(unpriced_tokens) as unpriced_tokens,
        round(sum(cost_usd)::numeric, 2) as cost_usd,
        round((sum(cost_usd) / nullif(count(*) filter (where is_priced), 0))::numeric, 4)
            as cost_per_phase_execution_usd
    from fct_phase_execution_costs
    group by 1, 2
)

select * from final
order by cost_usd desc nulls last
