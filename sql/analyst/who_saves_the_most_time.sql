-- Which developers save the most time with the orchestrator?
-- Developers ranked by the time they report saving in all, estimated as the mean time saved
-- per session times their sessions (avg_time_saved_hours is the mean over the sessions that
-- reported it). Only developers with at least 3 sessions. One row per developer.
with

developer_productivity as (
    select * from marts.developer_productivity
),

final as (
    select
        user_identifier,
        total_sessions,
        successful_sessions,
        round((successful_sessions::numeric / total_sessions), 3) as success_rate,
        round(avg_time_saved_hours::numeric, 2) as avg_time_saved_hours,
        round((avg_time_saved_hours * total_sessions)::numeric, 1) as estimated_hours_saved,
        round(avg_satisfaction::numeric, 2) as avg_satisfaction,
        last_active
    from developer_productivity
    where total_sessions >= 3 and avg_time_saved_hours is not null
)

select * from final
order by estimated_hours_saved desc, user_identifier asc
