-- Which language combinations build and deploy best?
-- marts.language_combination_outcomes: rates with their 95% Wilson intervals; ordered by the
-- lower bound of the build success rate, so a combination with two lucky builds does not top
-- the list. One row per language combination.
with

language_combination_outcomes as (
    select * from marts.language_combination_outcomes
),

final as (
    select
        language_combination,
        built_project_count,
        round(build_success_rate::numeric, 3) as build_success_rate,
        round(build_success_rate_wilson_lower::numeric, 3) as build_success_lower_bound,
        round(build_success_rate_wilson_upper::numeric, 3) as build_success_upper_bound,
        round(deployment_rate::numeric, 3) as deployment_rate,
        feedback_count,
        round(nps::numeric, 1) as nps
    from language_combination_outcomes
)

select * from final
order by build_success_lower_bound desc nulls last
