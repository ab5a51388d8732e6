with

session_templates as (
    select
        template_type,
        template_hash,
        template_text,
        session_created_at
    from {{ ref('int_session_templates_unpivoted') }}
    where template_hash is not null
),

template_metrics as (
    select * from {{ ref('template_metrics') }}
),

templates_summarized as (
    select
        template_type,
        template_hash,
        -- one text per hash (the hash is of the text): min() only picks it, and compares
        -- bytes (collate "C") rather than paying for locale-aware comparisons
        min(template_text collate "C") as template_text,
        min(session_created_at) as first_used_at,
        max(session_created_at) as last_used_at,
        count(*) as usage_count
    from session_templates
    group by 1, 2
),

-- As template_metrics: templates of a type ranked by first use, ties sharing a rank; the
-- successor is on the next rank, the smallest hash there when several share it.
templates_ranked as (
    select
        template_type,
        template_hash,
        dense_rank() over (
            partition by template_type
            order by first_used_at
        ) as first_use_rank
    from templates_summarized
    where first_used_at is not null
),

successor_candidates as (
    select distinct on (template_type, first_use_rank)
        template_type,
        first_use_rank,
        template_hash as successor_hash
    from templates_ranked
    order by template_type, first_use_rank, template_hash
),

final as (
    select
        templates_summarized.template_type,
        templates_summarized.template_hash,
        templates_summarized.template_text,
        length(templates_summarized.template_text) as template_length,
        templates_ranked.first_use_rank::integer as version_number,
        templates_summarized.usage_count::bigint as usage_count,
        templates_summarized.first_used_at,
        templates_summarized.last_used_at,
        successor_candidates.successor_hash as successor_template_hash,
        template_metrics.deprecated_at,
        template_metrics.replacement_template_hash,
        template_metrics.deprecated_at is not null as is_deprecated,
        successor_candidates.successor_hash is null as is_latest
    from templates_summarized
    left join templates_ranked
        on
            templates_summarized.template_type = templates_ranked.template_type
            and templates_summarized.template_hash = templates_ranked.template_hash
    left join successor_candidates
        on
            templates_ranked.template_type = successor_candidates.template_type
            and successor_candidates.first_use_rank = templates_ranked.first_use_rank + 1
    left join template_metrics
        on
            templates_summarized.template_type = template_metrics.template_type
            and templates_summarized.template_hash = template_metrics.template_hash
)

select * from final
