{#
    Each metric is a numerator and a denominator per day, so that any period's value is
    sum(numerator) / sum(denominator): rates and means stay correct over weeks and months,
    and a day without activity contributes zero to both.
#}

with

feedback as (
    select * from {{ ref('fct_feedback') }}
),

builds as (
    select * from {{ ref('int_project_builds') }}
),

sessions as (
    select * from {{ ref('fct_sessions') }}
),

phase_executions as (
    select * from {{ ref('fct_phase_executions') }}
),

events_daily as (
    select * from {{ ref('fct_events_daily') }}
),

reference_time as (
    select
        {{ as_of() }} as as_of,
        ({{ as_of() }} at time zone 'utc')::date as as_of_date
),

metrics as (
    select
        metric,
        is_rate
    from (
        values
        ('satisfaction', true),
        ('nps', true),
        ('build_success_rate', true),
        ('sessions', false),
        ('session_success_rate', true),
        ('tokens', false),
        ('event_error_rate', true)
    ) as metric_list (metric, is_rate)
),

daily_values as (
    -- mean overall_satisfaction (1-5) of the feedback submitted that day
    select
        submitted_date as metric_date,
        'satisfaction' as metric,
        sum(overall_satisfaction)::double precision as numerator,
        count(*)::double precision as denominator,
        count(*) as sample_size
    from feedback
    group by 1, 2
    union all
    -- NPS of the scored feedback submitted that day: 100 x (promoters - detractors) / scored
    select
        submitted_date as metric_date,
        'nps' as metric,
        100.0 * (
            count(*) filter (where nps_group = 'promoter')
            - count(*) filter (where nps_group = 'detractor')
        )::double precision as numerator,
        count(*)::double precision as denominator,
        count(*) as sample_size
    from feedback
    where likelihood_to_reuse is not null
    group by 1, 2
    union all
    -- percent of the builds that ran that day (every build seen) that succeeded
    select
        built_date as metric_date,
        'build_success_rate' as metric,
        (100.0 * count(*) filter (where is_successful))::double precision as numerator,
        count(*)::double precision as denominator,
        count(*) as sample_size
    from builds
    group by 1, 2
    union all
    -- sessions created that day
    select
        created_date as metric_date,
        'sessions' as metric,
        count(*)::double precision as numerator,
        1::double precision as denominator,
        count(*) as sample_size
    from sessions
    group by 1, 2
    union all
    -- percent of the sessions created that day, and finished, that succeeded
    select
        created_date as metric_date,
        'session_success_rate' as metric,
        (100.0 * count(*) filter (where is_successful))::double precision as numerator,
        count(*)::double precision as denominator,
        count(*) as sample_size
    from sessions
    where is_successful is not null
    group by 1, 2
    union all
    -- tokens of the phase executions started that day
    select
        phase_date as metric_date,
        'tokens' as metric,
        coalesce(sum(total_tokens), 0)::double precision as numerator,
        1::double precision as denominator,
        count(total_tokens) as sample_size
    from phase_executions
    group by 1, 2
    union all
    -- percent of that day's events that are errors
    select
        event_date as metric_date,
        'event_error_rate' as metric,
        (100.0 * sum(error_event_count))::double precision as numerator,
        sum(event_count)::double precision as denominator,
        sum(event_count) as sample_size
    from events_daily
    group by 1, 2
),

-- Every day from the first day with any activity to the as_of date, both included. Facts
-- date only rows at a plausible time (plausible_date()), and the spine never starts before
-- the plausible-time window either: one row dated year 1 cannot stretch it to 740k days.
date_spine as (
    select spine_days.spine_date::date as metric_date
    from reference_time
    cross join lateral generate_series(
        greatest(
            (select min(daily_values.metric_date) from daily_values),
            ({{ plausible_time_start() }} at time zone 'utc')::date
        ),
        reference_time.as_of_date,
        interval '1 day'
    ) as spine_days (spine_date)
),

final as (
    select
        date_spine.metric_date,
        metrics.metric,
        coalesce(daily_values.numerator, 0)::double precision as numerator,
        coalesce(
            daily_values.denominator,
            case
                when metrics.is_rate then 0
                else 1
            end
        )::double precision as denominator,
        case
            when metrics.is_rate
                then daily_values.numerator / nullif(daily_values.denominator, 0)
            else coalesce(daily_values.numerator, 0)
        end::double precision as value,
        coalesce(daily_values.sample_size, 0)::bigint as sample_size,
        reference_time.as_of
    from date_spine
    cross join metrics
    cross join reference_time
    left join daily_values
        on
            date_spine.metric_date = daily_values.metric_date
            and metrics.metric = daily_values.metric
)

select * from final
