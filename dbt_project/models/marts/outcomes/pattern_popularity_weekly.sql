{#
    Every week of the range has a row for every pattern, zeros included: a share chart
    must show a pattern falling to nothing, not skip the week.
#}

with

projects as not materialized (
    select * from {{ ref('dim_projects') }}
    where pattern_id is not null
),

dates as (
    select * from {{ ref('dim_dates') }}
),

reference_time as (
    select ({{ as_of() }} at time zone 'utc')::date as as_of_date
),

projects_per_week as (
    select
        date_trunc('week', created_date)::date as week_start_date,
        pattern_id,
        count(*) as project_count
    from projects
    group by 1, 2
),

project_date_range as (
    select
        min(created_date) as first_date,
        max(created_date) as last_date
    from projects
),

weeks as (
    select distinct dates.week_start_date
    from dates
    inner join project_date_range
        on dates.date_day between project_date_range.first_date and project_date_range.last_date
),

patterns as (
    select distinct pattern_id from projects
),

weeks_by_pattern as (
    select
        weeks.week_start_date,
        patterns.pattern_id,
        coalesce(projects_per_week.project_count, 0) as project_count
    from weeks
    cross join patterns
    left join projects_per_week
        on
            weeks.week_start_date = projects_per_week.week_start_date
            and patterns.pattern_id = projects_per_week.pattern_id
),

final as (
    select
        weeks_by_pattern.week_start_date,
        weeks_by_pattern.pattern_id,
        weeks_by_pattern.project_count::bigint as project_count,
        sum(weeks_by_pattern.project_count) over (
            partition by weeks_by_pattern.week_start_date
        )::bigint as week_project_count,
        (
            weeks_by_pattern.project_count::double precision
            / nullif(
                sum(weeks_by_pattern.project_count) over (
                    partition by weeks_by_pattern.week_start_date
                ),
                0
            )
        ) as project_share,
        rank() over (
            partition by weeks_by_pattern.week_start_date
            order by weeks_by_pattern.project_count desc
        )::integer as popularity_rank,
        weeks_by_pattern.week_start_date + 7 <= reference_time.as_of_date as is_complete_week,
        {{ as_of() }} as as_of
    from weeks_by_pattern
    cross join reference_time
)

select * from final
