{#
    The older public interface of the seven first trend metrics, kept for the dashboards and
    queries written against it: a numerator and a denominator per day, rates in percent.
    No formula is written here: each day is metric_values' day-grain total (the semantic
    layer's definition, tested equal to MetricFlow), scaled to this mart's units (rates and
    NPS numerators x 100, a denominator of 1 for the counts) on a spine of every day up to
    the as_of date. Cheap: it reads one row per metric and day.
#}

{% set metrics = {
    'satisfaction': {'scale': 1, 'is_rate': true},
    'nps': {'scale': 100, 'is_rate': true},
    'build_success_rate': {'scale': 100, 'is_rate': true},
    'sessions': {'scale': 1, 'is_rate': false},
    'session_success_rate': {'scale': 100, 'is_rate': true},
    'tokens': {'scale': 1, 'is_rate': false},
    'event_error_rate': {'scale': 100, 'is_rate': true},
} %}

with

metric_values as (
    select * from {{ ref('metric_values') }}
    where
        grain = 'day'
        and dimension is null
        and metric in (
            {%- for metric in metrics %}
            '{{ metric }}'{{ "," if not loop.last }}
            {%- endfor %}
        )
),

reference_time as (
    select
        {{ as_of() }} as as_of,
        ({{ as_of() }} at time zone 'utc')::date as as_of_date
),

metric_list as (
    select
        metric,
        scale,
        is_rate
    from (
        values
        {%- for metric, meaning in metrics.items() %}
        ('{{ metric }}', {{ meaning.scale }}, {{ meaning.is_rate }}){{ "," if not loop.last }}
        {%- endfor %}
    ) as metric_meanings (metric, scale, is_rate)
),

-- metric_values' totals in this mart's units: counts of records, rates' and NPS's
-- numerators x 100 (so a period's percent is sum(numerator) / sum(denominator)).
daily_values as (
    select
        metric_values.period_start as metric_date,
        metric_values.metric,
        coalesce(metric_values.numerator, 0) * metric_list.scale as numerator,
        case
            when metric_list.is_rate then coalesce(metric_values.denominator, 0)
            else 1
        end as denominator,
        metric_values.sample_size
    from metric_values
    inner join metric_list
        on metric_values.metric = metric_list.metric
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
        metric_list.metric,
        coalesce(daily_values.numerator, 0)::double precision as numerator,
        coalesce(
            daily_values.denominator,
            case
                when metric_list.is_rate then 0
                else 1
            end
        )::double precision as denominator,
        case
            when metric_list.is_rate
                then daily_values.numerator / nullif(daily_values.denominator, 0)
            else coalesce(daily_values.numerator, 0)
        end::double precision as value,
        coalesce(daily_values.sample_size, 0)::bigint as sample_size,
        reference_time.as_of
    from date_spine
    cross join metric_list
    cross join reference_time
    left join daily_values
        on
            date_spine.metric_date = daily_values.metric_date
            and metric_list.metric = daily_values.metric
)

select * from final
