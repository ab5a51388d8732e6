-- How often do project builds succeed, by pattern and month?
-- marts.fct_project_builds has every build the warehouse has seen, with its result. One row per
-- pattern and month.
with

fct_project_builds as (
    select * from marts.fct_project_builds
),

final as (
    select
        pattern_id,
        date_trunc('month', built_date)::date as month_start,
        count(*) as builds,
        count(*) filter (where is_successful) as successful_builds,
        round((count(*) filter (where is_successful))::numeric / count(*), 3) as success_rate
    from fct_project_builds
    group by 1, 2
)

select * from final
order by pattern_id, month_start
