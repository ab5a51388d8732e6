-- One page of marts.pattern_analytics, or the one pattern %(pattern_id)s names (null: all of
-- them); {order_by} is a column from the API's allow-list, and pattern_id breaks ties so pages
-- never overlap. The mart's build_success_rate is a percent with 2 decimals: the API's rates are
-- fractions, so it is read as build_success_ratio with 4 (the same value, exactly).
with

pattern_analytics as (
    select * from marts.pattern_analytics
    where %(pattern_id)s::text is null or pattern_id = %(pattern_id)s
),

final as (
    select
        pattern_id,
        pattern_name,
        total_projects,
        projects_last_30_days,
        projects_last_7_days,
        successful_builds,
        failed_builds,
        (build_success_rate / 100)::numeric(5, 4)::double precision as build_success_ratio,
        feedback_count,
        avg_satisfaction::double precision as avg_satisfaction,
        avg_usefulness::double precision as avg_usefulness,
        avg_nps::double precision as avg_nps,
        recommendation_count,
        avg_time_to_build_minutes::double precision as avg_time_to_build_minutes,
        nps::double precision as nps,
        last_activity,
        as_of
    from pattern_analytics
)

select * from final
order by {order_by} {direction} nulls last, pattern_id asc
limit %(limit)s offset %(offset)s
