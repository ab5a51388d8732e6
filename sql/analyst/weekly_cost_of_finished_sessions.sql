-- What did a finished session cost, week by week, and how many could be priced?
-- marts.fct_session_costs has a session's cost only when every phase execution was priced
-- (cost_status 'complete'); the others are counted, not guessed. One row per week.
with

fct_session_costs as (
    select * from marts.fct_session_costs
    where is_finished
),

final as (
    select
        date_trunc('week', created_date)::date as week_start,
        count(*) as finished_sessions,
        count(cost_usd) as costed_sessions,
        count(*) filter (where cost_status = 'partial') as sessions_with_unpriced_tokens,
        round(sum(cost_usd)::numeric, 2) as cost_usd,
        round(avg(cost_usd)::numeric, 4) as cost_per_session_usd
    from fct_session_costs
    group by 1
)

select * from final
order by week_start
