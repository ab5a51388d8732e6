-- The pattern's feedback in %(bucket_count)s buckets of %(bucket_days)s days that end on the last
-- whole UTC day before %(as_of)s (the marts' as_of; its own day is partial); bucket 0 is the
-- newest. Every bucket is present, empty ones with a zero count. NPS: promoters score 9-10,
-- detractors 1-6.
with

as_of_day as (
    select (%(as_of)s::timestamptz at time zone 'utc')::date - 1 as end_date
),

bounds as (
    select
        end_date,
        (end_date - %(bucket_count)s::integer * %(bucket_days)s::integer + 1)::timestamp
        at time zone 'utc' as window_start,
        (end_date + 1)::timestamp at time zone 'utc' as window_end
    from as_of_day
),

fct_feedback as (
    select * from marts.fct_feedback
    where pattern_id = %(pattern_id)s
),

buckets as (
    select
        series.bucket_index,
        bounds.end_date - (series.bucket_index + 1) * %(bucket_days)s::integer + 1 as start_date,
        bounds.end_date - series.bucket_index * %(bucket_days)s::integer as end_date
    from bounds
    cross join generate_series(0, %(bucket_count)s::integer - 1) as series (bucket_index)
),

feedback_in_window as (
    select
        fct_feedback.*,
        (bounds.end_date - (fct_feedback.submitted_at at time zone 'utc')::date)
        / %(bucket_days)s::integer as bucket_index
    from fct_feedback
    cross join bounds
    where
        fct_feedback.submitted_at >= bounds.window_start
        and fct_feedback.submitted_at < bounds.window_end
),

feedback_in_buckets as (
    select
        bucket_index,
        count(*) as feedback_count,
        sum(overall_satisfaction) as satisfaction_sum,
        count(overall_satisfaction) as satisfaction_count,
        count(*) filter (where likelihood_to_reuse >= 9) as promoters,
        count(*) filter (where likelihood_to_reuse <= 6) as detractors,
        count(likelihood_to_reuse) as scored,
        count(*) filter (where would_recommend) as recommending,
        count(would_recommend) as answered_recommend
    from feedback_in_window
    group by 1
),

final as (
    select
        buckets.start_date,
        buckets.end_date,
        coalesce(feedback_in_buckets.feedback_count, 0) as feedback_count,
        coalesce(feedback_in_buckets.satisfaction_sum, 0)::bigint as satisfaction_sum,
        coalesce(feedback_in_buckets.satisfaction_count, 0) as satisfaction_count,
        coalesce(feedback_in_buckets.promoters, 0) as promoters,
        coalesce(feedback_in_buckets.detractors, 0) as detractors,
        coalesce(feedback_in_buckets.scored, 0) as scored,
        coalesce(feedback_in_buckets.recommending, 0) as recommending,
        coalesce(feedback_in_buckets.answered_recommend, 0) as answered_recommend
    from buckets
    left join feedback_in_buckets
        on buckets.bucket_index = feedback_in_buckets.bucket_index
)

select * from final
order by start_date
