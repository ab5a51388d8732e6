-- What does a successful session cost each developer?
-- marts.developer_costs: the LLM cost of a developer's finished, fully priced sessions divided
-- by the successful ones among them, so failed sessions are paid for by the successes. Only
-- developers with at least 3 costed sessions are shown: fewer is anecdote. One row per
-- developer.
with

developer_costs as (
    select * from marts.developer_costs
    where costed_session_count >= 3
),

final as (
    select
        user_identifier,
        costed_session_count,
        costed_successful_session_count,
        round(cost_per_session_usd::numeric, 4) as cost_per_session_usd,
        round(cost_per_successful_session_usd::numeric, 4) as cost_per_successful_session_usd,
        unpriced_tokens
    from developer_costs
)

select * from final
order by cost_per_successful_session_usd desc nulls last
