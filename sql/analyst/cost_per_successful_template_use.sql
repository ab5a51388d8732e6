-- Which prompt templates buy a success most cheaply?
-- marts.template_costs: the LLM cost of a template's finished, priced uses divided by the
-- successful ones among them. Only templates with at least 5 costed uses are shown. One row per
-- template (type and hash); dim_templates has its text and version.
with

template_costs as (
    select * from marts.template_costs
    where costed_use_count >= 5
),

final as (
    select
        template_type,
        left(template_hash, 12) as template_hash_prefix,
        costed_use_count,
        costed_successful_use_count,
        round(cost_per_use_usd::numeric, 4) as cost_per_use_usd,
        round(cost_per_successful_use_usd::numeric, 4) as cost_per_successful_use_usd
    from template_costs
)

select * from final
order by template_type, cost_per_successful_use_usd
