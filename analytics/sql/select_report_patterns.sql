-- The most used patterns with their build success (percent) and NPS, for the report's chart.
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
        build_success_rate::double precision as build_success_rate,
        nps::double precision as nps
    from pattern_analytics
)

select * from final
order by total_projects desc, pattern_id
limit %(limit)s
