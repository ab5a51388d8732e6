{#
    phase_performance's sums, kept incrementally: one row per phase and phase day ('-infinity'
    for a phase execution without a plausible date), with the counts and sums its means and
    totals add up (means are sums over counts, so the total over days is exact).

    An incremental run recomputes whole days (delete+insert keyed on phase_date) from every
    phase execution of each day that has one to rebuild (rows_to_rebuild()). A phase
    execution whose new version moved to another day leaves its old day as it was, as in
    fct_events_daily; a full refresh recounts it.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='phase_date',
        on_schema_change='append_new_columns',
        pre_hook="{{ rebuild_if_inputs_were_reset() }}",
        indexes=[
            {'columns': ['phase_date']},
            {'columns': ['_loaded_at']},
        ],
    )
}}

with

phase_executions as not materialized (
    select
        phase,
        phase_date,
        duration_seconds,
        has_error,
        total_tokens,
        validation_errors,
        _loaded_at
    from {{ ref('fct_phase_executions') }}
),

{% if is_incremental() -%}
days_to_rebuild as (
    select distinct coalesce(phase_executions.phase_date, '-infinity'::date) as phase_date
    from phase_executions
    where {{ rows_to_rebuild('phase_executions.phase_date') }}
),

{% endif -%}
phase_executions_rebuilt as (
    select phase_executions.*
    from phase_executions
    {%- if is_incremental() %}
    where
        phase_executions.phase_date in (select days_to_rebuild.phase_date from days_to_rebuild)
        or (
            phase_executions.phase_date is null
            and '-infinity'::date in (select days_to_rebuild.phase_date from days_to_rebuild)
        )
    {%- endif %}
),

final as (
    select
        phase,
        coalesce(phase_date, '-infinity'::date) as phase_date,
        count(*)::bigint as execution_count,
        -- as the seed: a phase without a recorded error (false or null) is a success
        count(*) filter (where has_error is not true)::bigint as success_count,
        sum(duration_seconds::numeric) as duration_seconds_sum,
        count(duration_seconds)::bigint as duration_seconds_count,
        sum(total_tokens::numeric) as tokens_sum,
        count(total_tokens)::bigint as tokens_count,
        sum(validation_errors)::bigint as validation_errors_sum,
        max(_loaded_at) as _loaded_at
    from phase_executions_rebuilt
    group by 1, 2
)

select * from final
