{{
    config(
        materialized='incremental',
        incremental_strategy=var('incremental_strategy', 'delete+insert'),
        unique_key=['session_id', 'phase'],
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ heavy_query_settings() }}",
            "{{ rebuild_if_inputs_were_reset() }}",
            "{{ delete_moved_versions(
                'base_prompt_runner__orchestration_phase_metrics',
                'phase_metric_id', ['session_id', 'phase'], 'phase_date',
                where='phase is not null'
            ) }}",
        ],
        indexes=[
            {'columns': ['session_id', 'phase'], 'unique': true},
            {'columns': ['phase_metric_id'], 'unique': true},
            {'columns': ['phase', 'phase_date']},
            {'columns': ['phase', 'duration_seconds']},
            {'columns': ['phase_date']},
            {'columns': ['_loaded_at']},
        ],
        post_hook=[
            {
                'sql': 'vacuum {{ this }}',
                'transaction': false,
            },
        ],
    )
}}
{#-
    phase_performance reads its percentiles by offset along the index on
    (phase, duration_seconds): an index-only scan once the table's pages are marked
    all-visible, a heap read per entry skipped before. The vacuum after each build marks
    them now, not whenever autovacuum comes (10M-event bench: 84 s for phase_performance
    right after a rebuild, reading the heap). After a night it visits only the pages the
    night changed.
#}

with

phase_metrics as (
    select * from {{ ref('base_prompt_runner__orchestration_phase_metrics') }}
    -- A metric without a phase cannot be attributed (staging's not_null test reports it).
    where
        phase is not null
    {% if is_incremental() -%}
        and {{ incremental_rows(
            ref('base_prompt_runner__orchestration_phase_metrics'),
            ['session_id', 'phase'],
            'phase_date'
        ) }}
        {%- endif %}
),

-- As in staging: the version of an id loaded last is current (no updated_at), and of two ids
-- claiming one session and phase the one loaded last wins. Every version loaded since the
-- last build is read above, so the winner among them replaces the row built before (and
-- the pre-hook delete_moved_versions() deletes an id's row left under its old key).
current_versions as (
    {{ keep_latest_version('phase_metrics', partition_by=['phase_metric_id']) }}
),

one_per_session_phase as (
    {{ keep_latest_version('current_versions', partition_by=['session_id', 'phase']) }}
),

final as (
    select
        -- ids
        session_id,
        phase,
        phase_metric_id,

        -- dates
        phase_date,
        started_at,
        is_started_at_plausible,
        completed_at,

        -- workflow
        phase_index,
        completed_at is not null as is_completed,
        not coalesce(has_error, false) as is_successful,
        duration_seconds,
        idle_time_seconds,

        -- model
        model_used,
        temperature,
        prompt_tokens,
        completion_tokens,
        total_tokens,
        output_length,

        -- quality
        is_template_extracted,
        validation_errors,
        validation_warnings,

        -- user interaction
        copy_paste_method,
        input_method,
        has_user_edits,
        edit_count,

        -- errors
        has_error,
        error_type,
        error_message,
        is_error_recovered,

        -- context
        metadata,

        -- loader
        _loaded_at
    from one_per_session_phase
)

select * from final
