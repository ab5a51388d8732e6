-- Which pattern should NeuroForge suggest for a project in given languages?
-- marts.pattern_recommendations ranks the patterns of each language combination by the lower
-- bound of the 95% Wilson interval of their build success rate, among patterns with at least
-- min_built_projects built projects (the rule is in the mart's description). One row per
-- language combination and ranked pattern.
with

pattern_recommendations as (
    select * from marts.pattern_recommendations
    where is_ranked
),

final as (
    select
        language_combination,
        recommendation_rank,
        pattern_id,
        pattern_name,
        built_project_count,
        round(build_success_rate::numeric, 3) as build_success_rate,
        round(build_success_rate_wilson_lower::numeric, 3) as build_success_lower_bound
    from pattern_recommendations
)

select * from final
order by language_combination, recommendation_rank
