-- What is each pattern's NPS, month by month?
-- marts.metric_values holds every trend metric of the semantic layer per day, week and month,
-- in total and by dimension, equal to `mf query --metrics nps --group-by
-- pattern__pattern_id,metric_time__month`. sample_size is the scored answers behind each value:
-- read a value on fewer than about 30 as anecdote. One row per pattern and month.
with

metric_values as (
    select * from marts.metric_values
    where metric = 'nps' and grain = 'month' and dimension = 'pattern_id'
),

final as (
    select
        dimension_value as pattern_id,
        period_start as month_start,
        round(value::numeric, 1) as nps,
        numerator as promoters_minus_detractors,
        sample_size as scored_answers
    from metric_values
)

select * from final
order by pattern_id, month_start
