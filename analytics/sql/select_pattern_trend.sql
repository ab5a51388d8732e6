-- The pattern's feedback in %(bucket_count)s buckets of %(bucket_days)s days ending on
-- %(end_date)s (the marts' as_of date); bucket 0 is the newest. Every bucket is present, empty
-- ones with a zero count. NPS: promoters score 9-10, detractors 1-6.
with

fct_feedback as (
    select * from marts.fct_feedback
    where pattern_id = %(pattern_id)s
),

buckets as (
    select
        bucket_index,
        %(end_date)s::date - (bucket_index + 1) * %(bucket_days)s::integer + 1 as start_date,
        %(end_date)s::date - bucket_index * %(bucket_days)s::integer as end_date
    from generate_series(0, %(bucket_count)s::integer - 1) as bucket_index
),

feedback_in_buckets as (
    select
        buckets.bucket_index,
        count(*) as feedback_count,
        sum(fct_feedback.overall_satisfaction)::double precision as satisfaction_sum,
        count(fct_feedback.overall_satisfaction) as satisfaction_count,
        count(*) filter (where fct_feedback.likelihood_to_reuse >= 9) as promoters,
        count(*) filter (where fct_feedback.likelihood_to_reuse <= 6) as detractors,
        count(fct_feedback.likelihood_to_reuse) as scored,
        count(*) filter (where fct_feedback.would_recommend) as recommending,
        count(fct_feedback.would_recommend) as answered_recommend
    from buckets
    inner join fct_feedback
        on (fct_feedback.submitted_at at time zone 'utc')::date
        between buckets.start_date and buckets.end_date
    group by 1
),

final as (
    select
        buckets.start_date,
        buckets.end_date,
        coalesce(feedback_in_buckets.feedback_count, 0) as feedback_count,
        feedback_in_buckets.satisfaction_sum,
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
