{#
    A table, not a view: it reads fct_template_uses_daily, which a full refresh replaces (a
    view on it would go with that table's drop). Each template's first and last use come from
    those per-day extremes (a few rows per template and day), not from every session.
#}
{{ config(materialized='table') }}

with

template_usage_daily as (
    select
        template_type,
        template_hash,
        first_used_at,
        last_used_at
    from {{ ref('fct_template_uses_daily') }}
    where template_hash is not null
),

templates_used as (
    select
        template_type,
        template_hash,
        min(first_used_at) as first_used_at,
        max(last_used_at) as last_used_at
    from template_usage_daily
    group by 1, 2
),

-- Templates of one type ranked by first use; templates first used at the same moment share
-- a rank. A template's successor is on the next rank (the next first use strictly after
-- its own); of several there, the smallest hash is taken so the result is deterministic.
templates_ranked as (
    select
        template_type,
        template_hash,
        first_used_at,
        last_used_at,
        dense_rank() over (
            partition by template_type
            order by first_used_at
        ) as first_use_rank
    from templates_used
    where first_used_at is not null
),

successor_candidates as (
    select distinct on (template_type, first_use_rank)
        template_type,
        first_use_rank,
        template_hash as successor_hash,
        last_used_at as successor_last_used_at
    from templates_ranked
    order by template_type, first_use_rank, template_hash
),

final as (
    select
        templates_ranked.template_type,
        templates_ranked.template_hash,
        templates_ranked.first_used_at,
        templates_ranked.last_used_at,
        templates_ranked.first_use_rank,
        successor_candidates.successor_hash,
        successor_candidates.successor_last_used_at
    from templates_ranked
    left join successor_candidates
        on
            templates_ranked.template_type = successor_candidates.template_type
            and successor_candidates.first_use_rank = templates_ranked.first_use_rank + 1
)

select * from final
