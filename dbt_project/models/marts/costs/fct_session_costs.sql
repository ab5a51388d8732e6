{#
    A session's cost is known only when every one of its phase executions was priced: a
    sum over the priced ones alone would make a session with an unpriced model look cheap.
    priced_cost_usd keeps that partial sum, named for what it is.
#}

with

sessions as (
    select * from {{ ref('fct_sessions') }}
),

phase_costs as (
    select * from {{ ref('fct_phase_execution_costs') }}
),

phase_costs_per_session as (
    select
        session_id,
        count(*) as phase_execution_count,
        count(*) filter (where is_priced) as priced_phase_execution_count,
        sum(total_tokens) as total_tokens,
        sum(unpriced_tokens) as unpriced_tokens,
        coalesce(sum(cost_usd), 0) as priced_cost_usd
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
        coalesce(phase_costs_per_session.priced_cost_usd, 0) as priced_cost_usd
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
        end::numeric(20, 9) as cost_usd
    from sessions_with_costs
)

select * from final
