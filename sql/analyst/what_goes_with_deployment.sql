-- Which languages, package managers and patterns go with deployed projects?
-- marts.deployment_correlations compares the projects with each factor to all the others.
-- Only factors with at least 5 projects are shown, strongest association first (phi, -1 to
-- 1); the Wilson bounds say how sure the rate is. One row per factor.
with

deployment_correlations as (
    select * from marts.deployment_correlations
    where project_count >= 5
),

final as (
    select
        factor_type,
        factor_value,
        project_count,
        round(deployment_rate::numeric, 3) as deployment_rate,
        round(deployment_rate_wilson_lower::numeric, 3) as deployment_rate_lower_bound,
        round(other_deployment_rate::numeric, 3) as others_deployment_rate,
        phi_coefficient
    from deployment_correlations
)

select * from final
order by abs(phi_coefficient) desc nulls last
