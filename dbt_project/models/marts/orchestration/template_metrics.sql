{{ config(pre_hook="{{ heavy_query_settings() }}") }}

with

-- Without the template text: it is not used here, and read 4 times below it would be
-- carried through every sort.
session_templates as (
    select
        session_id,
        template_type,
        template_hash,
        is_phase_successful,
        phase_completion_seconds,
        developer_rating,
        feature_category,
        complexity_category,
        session_created_at
    from {{ ref('int_session_templates_unpivoted') }}
    where template_hash is not null
),

-- The current phase metrics, as staging has them, from the incremental phase fact.
phase_metrics as (
    select * from {{ ref('fct_phase_executions') }}
),

code_metrics as (
    select * from {{ ref('stg_prompt_runner__orchestration_code_metrics') }}
),

-- A template's rank and successor by first use (the succession rule lives there).
templates_ranked as (
    select * from {{ ref('int_templates_ranked') }}
),

-- One row per session and template type in session_templates, so count(*) counts sessions.
templates_summarized as (
    select
        template_type,
        template_hash,
        count(*) as usage_count,
        count(*) filter (where is_phase_successful) as success_count,
        count(*) filter (where not is_phase_successful) as failure_count,
        -- means over numeric: exact, so they do not depend on the order rows are stored in
        avg(phase_completion_seconds::numeric) as avg_completion_time_seconds,
        avg(developer_rating)::double precision as avg_developer_rating,
        jsonb_build_object(
            'simple', count(*) filter (where complexity_category = 'simple'),
            'medium', count(*) filter (where complexity_category = 'medium'),
            'complex', count(*) filter (where complexity_category = 'complex')
        ) as complexity_distribution,
        min(session_created_at) as first_used_at,
        max(session_created_at) as last_used_at
    from session_templates
    group by 1, 2
),

feature_categories_counted as (
    select
        template_type,
        template_hash,
        coalesce(feature_category, 'uncategorized') as feature_category,
        count(*) as session_count
    from session_templates
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

-- Phase metrics are one row per session and phase: the phase-T metrics of the sessions
-- that used a template of type T.
phase_metrics_per_template as (
    select
        session_templates.template_type,
        session_templates.template_hash,
        avg(phase_metrics.total_tokens) as avg_tokens_used,
        avg(phase_metrics.edit_count) as avg_user_edits
    from session_templates
    inner join phase_metrics
        on
            session_templates.session_id = phase_metrics.session_id
            and session_templates.template_type = phase_metrics.phase
    group by 1, 2
),

-- A session may have several code metrics rows: the means are over those rows.
code_metrics_per_template as (
    select
        session_templates.template_type,
        session_templates.template_hash,
        avg(code_metrics.maintainability_index::numeric) as avg_code_quality_score,
        avg(code_metrics.test_coverage_after::numeric) as avg_test_coverage_achieved
    from session_templates
    inner join code_metrics
        on session_templates.session_id = code_metrics.session_id
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
        round(phase_metrics_per_template.avg_tokens_used)::integer as avg_tokens_used,
        round(phase_metrics_per_template.avg_user_edits)::integer as avg_user_edits,

        -- quality
        templates_summarized.avg_developer_rating,
        code_metrics_per_template.avg_code_quality_score::double precision
            as avg_code_quality_score,
        code_metrics_per_template.avg_test_coverage_achieved::double precision
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
    left join phase_metrics_per_template
        on
            templates_summarized.template_type = phase_metrics_per_template.template_type
            and templates_summarized.template_hash = phase_metrics_per_template.template_hash
    left join code_metrics_per_template
        on
            templates_summarized.template_type = code_metrics_per_template.template_type
            and templates_summarized.template_hash = code_metrics_per_template.template_hash
    left join successions
        on
            templates_summarized.template_type = successions.template_type
            and templates_summarized.template_hash = successions.template_hash
)

select * from final
