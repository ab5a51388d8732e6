with

builds as (
    select * from {{ ref('int_project_builds') }}
),

final as (
    select
        -- ids
        project_outcome_id,
        pattern_id,

        -- when
        built_at,
        built_date,

        -- result
        build_status,
        is_successful
    from builds
)

select * from final
