with

template_uses as (
    select * from {{ ref('fct_template_uses') }}
),

uses_per_template as (
    select
        template_type,
        template_hash,
        count(*) as use_count,
        count(*) filter (where is_finished) as finished_use_count,
        count(*) filter (where is_successful) as successful_use_count,
        count(*) filter (where is_finished and cost_usd is not null) as costed_use_count,
        count(*) filter (
            where is_successful and cost_usd is not null
        ) as costed_successful_use_count,
        sum(cost_usd) filter (where is_finished) as cost_usd,
        sum(unpriced_tokens) as unpriced_tokens,
        count(*) filter (where unpriced_tokens > 0) as uses_with_unpriced_tokens
    from template_uses
    group by 1, 2
),

final as (
    select
        template_type,
        template_hash,
        use_count::bigint as use_count,
        finished_use_count::bigint as finished_use_count,
        successful_use_count::bigint as successful_use_count,
        costed_use_count::bigint as costed_use_count,
        costed_successful_use_count::bigint as costed_successful_use_count,
        cost_usd::numeric(20, 9) as cost_usd,
        (cost_usd / nullif(costed_use_count, 0))::double precision as cost_per_use_usd,
        (
            cost_usd / nullif(costed_successful_use_count, 0)
        )::double precision as cost_per_successful_use_usd,
        unpriced_tokens::bigint as unpriced_tokens,
        uses_with_unpriced_tokens::bigint as uses_with_unpriced_tokens
    from uses_per_template
)

select * from final
