with

source as (
    {{ without_held_batches(source('dataforge', 'user_feedback')) }}
),

renamed as (
    select
        -- ids
        id as feedback_id,
        project_outcome_id,

        -- strings
        nullif(additional_comments, '') as additional_comments,
        nullif(feedback_source, '')::text as feedback_source,

        -- arrays and json
        positive_aspects,
        negative_aspects,
        feature_requests,
        error_details,

        -- numerics
        overall_satisfaction::integer as overall_satisfaction,
        pattern_usefulness::integer as pattern_usefulness,
        code_quality::integer as code_quality,
        documentation_clarity::integer as documentation_clarity,
        setup_ease::integer as setup_ease,
        likelihood_to_reuse::integer as likelihood_to_reuse,
        time_to_first_build as time_to_first_build_seconds,

        -- booleans
        would_recommend,
        encountered_errors as has_encountered_errors,
        {{ is_plausible_time('submitted_at') }} as is_submitted_at_plausible,

        -- timestamps
        submitted_at,
        {{ plausible_date('submitted_at') }} as submitted_date,

        -- loader
        _load_id,
        _effective_loaded_at as _loaded_at,
        _ingest_seq
    from source
),

-- Append-only: an id should arrive once; if a conflicting re-delivery exists, the version
-- loaded last wins.
current_versions as (
    {{ keep_latest_version('renamed', partition_by=['feedback_id']) }}
),

final as (
    select * from current_versions
)

select * from final
