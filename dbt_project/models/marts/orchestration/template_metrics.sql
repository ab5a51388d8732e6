{#
    Added up from fct_template_uses_daily, the per-day sums kept incrementally (a few rows
    per template and day), so a night's build reads no session it did not change: every mean
    is a sum over a count there, and every count and extreme adds up over days.
#}

with

template_usage_daily as not materialized (
    select * from {{ ref('fct_template_uses_daily') }}
    where template_hash is not null
),

-- A template's rank and successor by first use (the succession rule lives there).
templates_ranked as (
    select * from {{ ref('templates_ranked') }}
),

-- usage_count counts sessions: one row per session and template type upstream.
templates_summarized as (
    select
        template_type,
        template_hash,
        sum(usage_count) as usage_count,
        sum(success_count) as success_count,
        sum(failure_count) as failure_count,
        -- means: exact sums over counts
        sum(completion_seconds_sum) / nullif(sum(completion_seconds_count), 0)
            as avg_completion_time_seconds,
        (
            sum(developer_rating_sum) / nullif(sum(developer_rating_count), 0)
        )::double precision as avg_developer_rating,
        jsonb_build_object(
            'simple', sum(simple_count)::bigint,
            'medium', sum(medium_count)::bigint,
            'complex', sum(complex_count)::bigint
        ) as complexity_distribution,
        min(first_used_at) as first_used_at,
        max(last_used_at) as last_used_at,
        -- the phase-T metrics of the sessions that used a template of type T
        sum(tokens_sum) / nullif(sum(tokens_count), 0) as avg_tokens_used,
        sum(edits_sum) / nullif(sum(edits_count), 0) as avg_user_edits,
        -- the means are over code metrics rows (a session may have several)
        sum(code_quality_sum) / nullif(sum(code_quality_count), 0) as avg_code_quality_score,
        sum(test_coverage_sum) / nullif(sum(test_coverage_count), 0)
            as avg_test_coverage_achieved
    from template_usage_daily
    group by 1, 2
),

feature_categories_counted as (
    select
        template_type,
        template_hash,
        feature_category,
        sum(usage_count)::bigint as session_count
    from template_usage_daily
    group by 1, 2, 3
),

feature_categories_per_template as (
    select
        template_type,
        template_hash,
        jsonb_object_agg(feature_category, session_count) as feature_categories
    from feature_categories_counted
    group by 1, 2
),

-- A template is deprecated when its successor is still in use after its own last use.
successions as (
    select
        template_type,
        template_hash,
        last_used_at as deprecated_at,
        successor_hash as replacement_template_hash
    from templates_ranked
    where successor_last_used_at > last_used_at
),

final as (
    select
        templates_summarized.template_type,
        templates_summarized.template_hash,

        -- usage
        templates_summarized.usage_count::bigint as usage_count,
        templates_summarized.success_count::bigint as success_count,
        templates_summarized.failure_count::bigint as failure_count,
        (
            templates_summarized.success_count::double precision
            / templates_summarized.usage_count
        ) as success_rate,

        -- performance
        templates_summarized.avg_completion_time_seconds::double precision
            as avg_completion_time_seconds,
        round(templates_summarized.avg_tokens_used)::integer as avg_tokens_used,
        round(templates_summarized.avg_user_edits)::integer as avg_user_edits,

        -- quality
        templates_summarized.avg_developer_rating,
        templates_summarized.avg_code_quality_score::double precision
            as avg_code_quality_score,
        templates_summarized.avg_test_coverage_achieved::double precision
            as avg_test_coverage_achieved,

        -- feature correlation
        feature_categories_per_template.feature_categories,
        templates_summarized.complexity_distribution,

        -- evolution
        templates_summarized.first_used_at,
        templates_summarized.last_used_at,
        successions.deprecated_at,
        successions.replacement_template_hash
    from templates_summarized
    left join feature_categories_per_template
        on
            templates_summarized.template_type = feature_categories_per_template.template_type
            and templates_summarized.template_hash = feature_categories_per_template.template_hash
    left join successions
        on
            templates_summarized.template_type = successions.template_type
            and templates_summarized.template_hash = successions.template_hash
)

select * from final
