with

events as (
    select * from {{ ref('base_prompt_runner__orchestration_events') }}
),

-- Append-only: an id should arrive once; if a conflicting re-delivery exists, the version
-- loaded last wins.
current_versions as (
    {{ keep_latest_version('events', partition_by=['event_id']) }}
),

final as (
    select * from current_versions
)

select * from final
