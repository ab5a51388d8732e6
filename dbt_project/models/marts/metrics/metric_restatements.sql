{#
    A view, not a table: the restatements are written after each build (by Dagster's watch
    area), and the API and BI tools must see them at once, not after the next build.
#}
{{ config(materialized='view') }}

with

restatements as (
    select * from {{ ref('stg_watch__restatements') }}
),

final as (
    select
        restatement_id,
        restated_relation,
        metric,
        grain,
        period_start,
        period_end,
        dimension,
        dimension_value,
        old_value,
        new_value,
        new_value - old_value as absolute_change,
        (new_value - old_value) / nullif(abs(old_value), 0) as relative_change,
        published_run_id,
        published_at,
        restated_by_run_id,
        restated_at
    from restatements
)

select * from final
