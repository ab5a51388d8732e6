with

phase_metrics as (
    select * from {{ ref('base_prompt_runner__orchestration_phase_metrics') }}
),

-- No updated_at on this entity: the version loaded last is the current one.
current_versions as (
    {{ keep_latest_version('phase_metrics', partition_by=['phase_metric_id']) }}
),

-- The source allows one row per session and phase; should two ids claim the same pair,
-- the one loaded last wins.
one_per_session_phase as (
    {{ keep_latest_version('current_versions', partition_by=['session_id', 'phase']) }}
),

final as (
    select * from one_per_session_phase
)

select * from final
