-- Which patterns are gaining or losing ground, week by week?
-- marts.pattern_popularity_weekly: each pattern's share of the projects scaffolded in a week,
-- zeros included. The last 8 complete weeks; the current week is partial and left out. One
-- row per week and pattern.
with

pattern_popularity_weekly as (
    select * from marts.pattern_popularity_weekly
    where is_complete_week
),

last_weeks as (
    select distinct week_start_date
    from pattern_popularity_weekly
    order by week_start_date desc
    limit 8
),

final as (
    select
        pattern_popularity_weekly.week_start_date,
        pattern_popularity_weekly.pattern_id,
        pattern_popularity_weekly.project_count,
        pattern_popularity_weekly.week_project_count,
        round(pattern_popularity_weekly.project_share::numeric, 3) as project_share
    from pattern_popularity_weekly
    inner join last_weeks
        on pattern_popularity_weekly.week_start_date = last_weeks.week_start_date
)

select * from final
order by week_start_date asc, project_share desc nulls last, pattern_id asc
