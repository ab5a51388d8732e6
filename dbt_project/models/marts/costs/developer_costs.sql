with

session_costs as (
    select * from {{ ref('fct_session_costs') }}
    where user_identifier is not null
),

costs_per_developer as (
    select
        user_identifier,
        count(*) as session_count,
        count(*) filter (where is_finished) as finished_session_count,
        count(*) filter (where is_finished and cost_usd is not null) as costed_session_count,
        count(*) filter (
            where is_successful and cost_usd is not null
        ) as costed_successful_session_count,
        sum(cost_usd) filter (where is_finished) as cost_usd,
        sum(total_tokens) as total_tokens,
        sum(unpriced_tokens) as unpriced_tokens,
        count(*) filter (where cost_status = 'partial') as sessions_with_unpriced_tokens
    from session_costs
    group by 1
),

final as (
    select
        user_identifier,
        session_count::bigint as session_count,
        finished_session_count::bigint as finished_session_count,
        costed_session_count::bigint as costed_session_count,
        costed_successful_session_count::bigint as costed_successful_session_count,
        cost_usd::numeric(20, 9) as cost_usd,
        (cost_usd / nullif(costed_session_count, 0))::double precision as cost_per_session_usd,
        (
            cost_usd / nullif(costed_successful_session_count, 0)
        )::double precision as cost_per_successful_session_usd,
        total_tokens::bigint as total_tokens,
        unpriced_tokens::bigint as unpriced_tokens,
        sessions_with_unpriced_tokens::bigint as sessions_with_unpriced_tokens
    from costs_per_developer
)

select * from final
