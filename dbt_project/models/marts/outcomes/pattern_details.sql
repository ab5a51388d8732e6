{% set recent_feedback_limit = 5 %}

with

projects as (
    select * from {{ ref('dim_projects') }}
),

feedback as not materialized (
    select * from {{ ref('fct_feedback') }}
),

patterns as (
    select * from {{ ref('dim_patterns') }}
),

reference_time as (
    select {{ as_of() }} as as_of
),

projects_per_pattern as (
    select
        pattern_id,
        count(*) as total_projects,
        count(*) filter (where status = 'active') as active_projects,
        count(*) filter (where status = 'archived') as archived_projects,
        count(*) filter (where status = 'deleted') as deleted_projects,
        count(*) filter (where is_deployed) as deployed_projects,
        count(*) filter (where last_build_status is not null) as built_projects,
        count(*) filter (where last_build_status = 'success') as successful_builds,
        avg(test_pass_rate) as avg_test_pass_rate
    from projects
    where pattern_id is not null
    group by 1
),

feedback_per_pattern as (
    select
        feedback.pattern_id,
        count(*) as feedback_count,
        count(*) filter (
            where feedback.submitted_at >= reference_time.as_of - interval '30 days'
            and feedback.submitted_at <= reference_time.as_of
        ) as feedback_last_30_days,
        avg(feedback.overall_satisfaction) as avg_satisfaction,
        avg(feedback.pattern_usefulness) as avg_usefulness,
        avg(feedback.code_quality) as avg_code_quality,
        avg(feedback.documentation_clarity) as avg_documentation_clarity,
        avg(feedback.setup_ease) as avg_setup_ease,
        count(feedback.likelihood_to_reuse) as scored_feedback_count,
        count(*) filter (where feedback.nps_group = 'promoter') as promoter_count,
        count(*) filter (where feedback.nps_group = 'passive') as passive_count,
        count(*) filter (where feedback.nps_group = 'detractor') as detractor_count,
        count(feedback.would_recommend) as recommendation_answer_count,
        count(*) filter (where feedback.would_recommend) as recommendation_count,
        count(feedback.has_encountered_errors) as error_answer_count,
        count(*) filter (where feedback.has_encountered_errors) as error_encounter_count,
        avg(feedback.time_to_first_build_seconds) as avg_time_to_first_build_seconds,
        max(feedback.submitted_at) as last_feedback_at
    from feedback
    cross join reference_time
    where feedback.pattern_id is not null
    group by 1
),

aspects as (
    select
        feedback.pattern_id,
        'positive' as polarity,
        aspect
    from feedback
    cross join lateral unnest(feedback.positive_aspects) as aspect
    where feedback.pattern_id is not null
    union all
    select
        feedback.pattern_id,
        'negative' as polarity,
        aspect
    from feedback
    cross join lateral unnest(feedback.negative_aspects) as aspect
    where feedback.pattern_id is not null
),

aspects_counted as (
    select
        pattern_id,
        polarity,
        aspect,
        count(*) as mention_count
    from aspects
    where aspect is not null and aspect <> ''
    group by 1, 2, 3
),

aspects_per_pattern as (
    select
        pattern_id,
        jsonb_object_agg(aspect, mention_count) filter (
            where polarity = 'positive'
        ) as positive_aspect_counts,
        jsonb_object_agg(aspect, mention_count) filter (
            where polarity = 'negative'
        ) as negative_aspect_counts
    from aspects_counted
    group by 1
),

-- The latest feedback first; ties on submitted_at go to the greater feedback_id so the
-- order never depends on how rows happen to be stored.
feedback_ranked as (
    select
        pattern_id,
        feedback_id,
        submitted_at,
        overall_satisfaction,
        likelihood_to_reuse,
        nps_group,
        would_recommend,
        additional_comments,
        row_number() over (
            partition by pattern_id
            order by submitted_at desc, feedback_id desc
        ) as recency_rank
    from feedback
    where pattern_id is not null
),

recent_feedback_per_pattern as (
    select
        pattern_id,
        jsonb_agg(
            jsonb_build_object(
                'feedback_id', feedback_id,
                -- a fixed UTC text: to_jsonb(timestamptz) would follow the session time zone
                'submitted_at', to_char(
                    submitted_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'
                ),
                'overall_satisfaction', overall_satisfaction,
                'likelihood_to_reuse', likelihood_to_reuse,
                'nps_group', nps_group,
                'would_recommend', would_recommend,
                'additional_comments', additional_comments
            )
            order by recency_rank
        ) as recent_feedback
    from feedback_ranked
    where recency_rank <= {{ recent_feedback_limit }}
    group by 1
),

final as (
    select
        projects_per_pattern.pattern_id,
        patterns.pattern_name,

        -- projects
        projects_per_pattern.total_projects::bigint as total_projects,
        projects_per_pattern.active_projects::bigint as active_projects,
        projects_per_pattern.archived_projects::bigint as archived_projects,
        projects_per_pattern.deleted_projects::bigint as deleted_projects,
        projects_per_pattern.deployed_projects::bigint as deployed_projects,

        -- build health (each project's latest build)
        projects_per_pattern.built_projects::bigint as built_projects,
        projects_per_pattern.successful_builds::bigint as successful_builds,
        (
            100.0 * projects_per_pattern.successful_builds
            / nullif(projects_per_pattern.built_projects, 0)
        )::double precision as build_success_rate,
        100 * {{ wilson_bound(
            'projects_per_pattern.successful_builds', 'projects_per_pattern.built_projects',
            'lower'
        ) }} as build_success_rate_lower,
        100 * {{ wilson_bound(
            'projects_per_pattern.successful_builds', 'projects_per_pattern.built_projects',
            'upper'
        ) }} as build_success_rate_upper,
        projects_per_pattern.avg_test_pass_rate::double precision as avg_test_pass_rate,

        -- feedback
        coalesce(feedback_per_pattern.feedback_count, 0)::bigint as feedback_count,
        coalesce(feedback_per_pattern.feedback_last_30_days, 0)::bigint
            as feedback_last_30_days,
        feedback_per_pattern.avg_satisfaction::double precision as avg_satisfaction,
        feedback_per_pattern.avg_usefulness::double precision as avg_usefulness,
        feedback_per_pattern.avg_code_quality::double precision as avg_code_quality,
        feedback_per_pattern.avg_documentation_clarity::double precision
            as avg_documentation_clarity,
        feedback_per_pattern.avg_setup_ease::double precision as avg_setup_ease,

        -- net promoter score
        coalesce(feedback_per_pattern.scored_feedback_count, 0)::bigint
            as scored_feedback_count,
        coalesce(feedback_per_pattern.promoter_count, 0)::bigint as promoter_count,
        coalesce(feedback_per_pattern.passive_count, 0)::bigint as passive_count,
        coalesce(feedback_per_pattern.detractor_count, 0)::bigint as detractor_count,
        (
            100.0 * (feedback_per_pattern.promoter_count - feedback_per_pattern.detractor_count)
            / nullif(feedback_per_pattern.scored_feedback_count, 0)
        )::double precision as nps,

        -- recommendation
        coalesce(feedback_per_pattern.recommendation_answer_count, 0)::bigint
            as recommendation_answer_count,
        coalesce(feedback_per_pattern.recommendation_count, 0)::bigint as recommendation_count,
        (
            100.0 * feedback_per_pattern.recommendation_count
            / nullif(feedback_per_pattern.recommendation_answer_count, 0)
        )::double precision as recommendation_rate,
        100 * {{ wilson_bound(
            'feedback_per_pattern.recommendation_count',
            'feedback_per_pattern.recommendation_answer_count',
            'lower'
        ) }} as recommendation_rate_lower,
        100 * {{ wilson_bound(
            'feedback_per_pattern.recommendation_count',
            'feedback_per_pattern.recommendation_answer_count',
            'upper'
        ) }} as recommendation_rate_upper,

        -- friction
        (
            100.0 * feedback_per_pattern.error_encounter_count
            / nullif(feedback_per_pattern.error_answer_count, 0)
        )::double precision as error_encounter_rate,
        (feedback_per_pattern.avg_time_to_first_build_seconds / 60.0)::double precision
            as avg_time_to_first_build_minutes,

        -- words
        coalesce(aspects_per_pattern.positive_aspect_counts, '{}'::jsonb)
            as positive_aspect_counts,
        coalesce(aspects_per_pattern.negative_aspect_counts, '{}'::jsonb)
            as negative_aspect_counts,
        coalesce(recent_feedback_per_pattern.recent_feedback, '[]'::jsonb) as recent_feedback,
        feedback_per_pattern.last_feedback_at,

        reference_time.as_of
    from projects_per_pattern
    cross join reference_time
    inner join patterns
        on projects_per_pattern.pattern_id = patterns.pattern_id
    left join feedback_per_pattern
        on projects_per_pattern.pattern_id = feedback_per_pattern.pattern_id
    left join aspects_per_pattern
        on projects_per_pattern.pattern_id = aspects_per_pattern.pattern_id
    left join recent_feedback_per_pattern
        on projects_per_pattern.pattern_id = recent_feedback_per_pattern.pattern_id
)

select * from final
