-- The most used patterns with their build success (a fraction, as the API gives it; the mart's
-- percent has 2 decimals) and NPS, for the report's charts.
with

pattern_analytics as (
    select * from marts.pattern_analytics
),

final as (
    select
        pattern_id,
        coalesce(pattern_name, pattern_id) as pattern_name,
        total_projects,
        feedback_count,
        (build_success_rate / 100)::numeric(5, 4)::double precision as build_success_ratio,
        nps::double precision as nps
    from pattern_analytics
)

select * from final
order by total_projects desc, pattern_id asc
limit %(limit)s
