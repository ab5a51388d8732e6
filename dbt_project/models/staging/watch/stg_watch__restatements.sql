with

source as (
    select * from {{ source('watch', 'restatements') }}
),

renamed as (
    select
        -- ids
        restatement_id,
        published_run_id,
        run_id as restated_by_run_id,

        -- strings
        source as restated_relation,
        metric,
        grain,
        dimension,
        dimension_value,

        -- numerics
        old_value,
        new_value,

        -- dates and timestamps
        period_start,
        period_end,
        published_at,
        restated_at
    from source
)

select * from renamed
