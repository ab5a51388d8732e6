{#
    template_metrics' sums, kept incrementally: one row per template, UTC day of the
    session's creation and feature category, with every count, sum and extreme that
    template_metrics adds up (means are sums over counts, so the total over days is exact);
    rows without a template (template_hash null) are kept too, so every day with sessions
    has rows (see templates_used).

    An incremental run recomputes whole days (delete+insert keyed on usage_date): every day of
    a session that has a row to rebuild in its templates, its phase executions or its code
    metrics (sessions_to_rebuild()). A day is recomputed from all its sessions' rows, so a
    template a session no longer has, or a phase metric that changed, leaves no stale sum.
    Sessions without a creation time count under the day '-infinity'.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='usage_date',
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ heavy_query_settings() }}",
            "{{ rebuild_if_inputs_were_reset() }}",
        ],
        indexes=[
            {'columns': ['usage_date']},
            {'columns': ['template_type', 'template_hash']},
            {'columns': ['_loaded_at']},
        ],
    )
}}

with

-- Only the columns used below (the template text is not).
session_templates as not materialized (
    select
        session_id,
        template_type,
        template_hash,
        is_phase_successful,
        phase_completion_seconds,
        developer_rating,
        feature_category,
        complexity_category,
        session_created_at,
        _loaded_at
    from {{ ref('int_session_templates_unpivoted') }}
),

phase_executions as not materialized (
    select
        session_id,
        phase,
        phase_date,
        total_tokens,
        edit_count,
        _loaded_at
    from {{ ref('fct_phase_executions') }}
),

code_metrics as not materialized (
    select
        session_id,
        created_date,
        maintainability_index,
        test_coverage_after,
        _loaded_at
    from {{ ref('stg_prompt_runner__orchestration_code_metrics') }}
),

{% if is_incremental() -%}
sessions_to_rebuild as (
    {{ sessions_to_rebuild([
        ('session_templates', 'session_created_at'),
        ('phase_executions', 'phase_date'),
        ('code_metrics', 'created_date'),
    ]) }}
),

-- The UTC days of those sessions ('-infinity' for a session without a creation time).
days_to_rebuild as (
    select distinct
        coalesce(
            (session_templates.session_created_at at time zone 'UTC')::date, '-infinity'::date
        ) as usage_date
    from session_templates
    where
        session_templates.session_id = any(
            array(select sessions_to_rebuild.session_id from sessions_to_rebuild)
        )
),

{% endif -%}
-- Every session's five template rows, a template or not, so a day that has sessions always
-- has rows here and its recomputed rows replace the old ones (template_metrics keeps those
-- with a hash). An incremental run reads every row of each day to rebuild, day by day
-- through the index on session_created_at.
--
-- In an incremental run the reads by session id below take the ids as an array: Postgres
-- plans it as an index lookup, where `in (select ...)` over a CTE it cannot size made it
-- scan and hash all of int_session_templates_unpivoted (3M rows at 10M events) and
-- fct_phase_executions (2.7M) for a night's 15k template rows.
templates_used as (
    select
        session_templates.*,
        coalesce(
            (session_templates.session_created_at at time zone 'UTC')::date, '-infinity'::date
        ) as usage_date
    from session_templates
    {%- if is_incremental() %}
    inner join days_to_rebuild
        on
            session_templates.session_created_at
            >= days_to_rebuild.usage_date::timestamp at time zone 'UTC'
            and session_templates.session_created_at
            < (days_to_rebuild.usage_date + 1)::timestamp at time zone 'UTC'
    union all
    select
        session_templates.*,
        '-infinity'::date as usage_date
    from session_templates
    where
        session_templates.session_created_at is null
        and '-infinity'::date in (select days_to_rebuild.usage_date from days_to_rebuild)
    {%- endif %}
),

-- A session may have several code metrics rows: their sums and counts, per session.
code_metrics_per_session as (
    select
        code_metrics.session_id,
        sum(code_metrics.maintainability_index::numeric) as code_quality_sum,
        count(code_metrics.maintainability_index) as code_quality_count,
        sum(code_metrics.test_coverage_after::numeric) as test_coverage_sum,
        count(code_metrics.test_coverage_after) as test_coverage_count,
        max(code_metrics._loaded_at) as _loaded_at
    from code_metrics
    {%- if is_incremental() %}
    where code_metrics.session_id = any(array(select templates_used.session_id from templates_used))
    {%- else %}
    where code_metrics.session_id in (select templates_used.session_id from templates_used)
    {%- endif %}
    group by 1
),

final as (
    select
        templates_used.template_type,
        templates_used.template_hash,
        templates_used.usage_date,
        coalesce(templates_used.feature_category, 'uncategorized') as feature_category,

        -- usage
        count(*)::bigint as usage_count,
        count(*) filter (where templates_used.is_phase_successful)::bigint as success_count,
        count(*) filter (where not templates_used.is_phase_successful)::bigint
            as failure_count,
        count(*) filter (where templates_used.complexity_category = 'simple')::bigint
            as simple_count,
        count(*) filter (where templates_used.complexity_category = 'medium')::bigint
            as medium_count,
        count(*) filter (where templates_used.complexity_category = 'complex')::bigint
            as complex_count,
        min(templates_used.session_created_at) as first_used_at,
        max(templates_used.session_created_at) as last_used_at,

        -- sums and counts of the means (numeric: exact, whatever the order of rows)
        sum(templates_used.phase_completion_seconds::numeric) as completion_seconds_sum,
        count(templates_used.phase_completion_seconds)::bigint as completion_seconds_count,
        sum(templates_used.developer_rating::numeric) as developer_rating_sum,
        count(templates_used.developer_rating)::bigint as developer_rating_count,
        sum(phase_executions.total_tokens::numeric) as tokens_sum,
        count(phase_executions.total_tokens)::bigint as tokens_count,
        sum(phase_executions.edit_count::numeric) as edits_sum,
        count(phase_executions.edit_count)::bigint as edits_count,
        sum(code_metrics_per_session.code_quality_sum) as code_quality_sum,
        coalesce(sum(code_metrics_per_session.code_quality_count), 0)::bigint
            as code_quality_count,
        sum(code_metrics_per_session.test_coverage_sum) as test_coverage_sum,
        coalesce(sum(code_metrics_per_session.test_coverage_count), 0)::bigint
            as test_coverage_count,

        -- loader: the newest load among the rows summed
        greatest(
            max(templates_used._loaded_at),
            max(phase_executions._loaded_at),
            max(code_metrics_per_session._loaded_at)
        ) as _loaded_at
    from templates_used
    left join phase_executions
        on
            templates_used.session_id = phase_executions.session_id
            and templates_used.template_type = phase_executions.phase
    {% if is_incremental() -%}
            and phase_executions.session_id = any(
                array(select templates_used.session_id from templates_used)
            )
            {%- endif %}
    left join code_metrics_per_session
        on templates_used.session_id = code_metrics_per_session.session_id
    group by 1, 2, 3, 4
)

select * from final
