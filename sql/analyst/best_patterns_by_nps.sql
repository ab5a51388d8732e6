-- Which scaffolding patterns do users recommend most?
-- Patterns ranked by Net Promoter Score: percent of promoters (likelihood_to_reuse 9-10) minus
-- percent of detractors (1-6), from -100 to 100. One row per pattern. A pattern needs at least
-- 3 scored answers to be ranked: with fewer, one answer moves its score by 30 points or more.
-- Note pattern_analytics.avg_nps is the mean likelihood_to_reuse (1-10), not an NPS.
with

pattern_analytics as (
    select * from marts.pattern_analytics
),

fct_feedback as (
    select * from marts.fct_feedback
),

scored_answers as (
    select
        pattern_id,
        count(likelihood_to_reuse) as scored_answers
    from fct_feedback
    group by 1
),

final as (
    select
        pattern_analytics.pattern_id,
        pattern_analytics.pattern_name,
        pattern_analytics.nps,
        scored_answers.scored_answers,
        pattern_analytics.avg_nps as mean_likelihood_to_reuse,
        pattern_analytics.avg_satisfaction,
        pattern_analytics.recommendation_count,
        pattern_analytics.feedback_count,
        pattern_analytics.total_projects,
        pattern_analytics.build_success_rate
    from pattern_analytics
    inner join scored_answers
        on pattern_analytics.pattern_id = scored_answers.pattern_id
    where scored_answers.scored_answers >= 3
)

select * from final
order by nps desc, scored_answers desc
