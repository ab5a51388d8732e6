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

-- A template's rank and successor by first use (the succession rule lives there).
templates_ranked as (
    select * from {{ ref('templates_ranked') }}
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
        templates_ranked.successor_hash as successor_template_hash,
        template_metrics.deprecated_at,
        template_metrics.replacement_template_hash,
        template_metrics.deprecated_at is not null as is_deprecated,
        templates_ranked.successor_hash is null as is_latest
    from templates_summarized
    left join templates_ranked
        on
            templates_summarized.template_type = templates_ranked.template_type
            and templates_summarized.template_hash = templates_ranked.template_hash
    left join template_metrics
        on
            templates_summarized.template_type = template_metrics.template_type
            and templates_summarized.template_hash = template_metrics.template_hash
)

select * from final
