with

sessions as (
    select * from {{ ref('stg_prompt_runner__orchestration_sessions') }}
),

final as (
    select
        user_identifier,
        count(distinct session_id)::bigint as total_sessions,
        count(distinct session_id) filter (where is_successful)::bigint as successful_sessions,
        -- means over numeric: exact, so they do not depend on the order rows are stored in
        avg(total_duration_seconds::numeric / 3600)::double precision as avg_duration_hours,
        avg(time_saved_hours::numeric)::double precision as avg_time_saved_hours,
        avg(developer_rating)::double precision as avg_satisfaction,
        (
            count(*) filter (where would_recommend)::double precision
            / nullif(count(would_recommend), 0)
        ) as recommendation_rate,
        max(created_at) as last_active
    from sessions
    where user_identifier is not null
    group by 1
)

select * from final
