-- How often does a template use succeed, by phase and by model?
-- marts.fct_template_uses: one row per session and phase that names a template; an
-- unfinished use counts as a use, not a success (as template_metrics does). One row per
-- template type and model.
with

fct_template_uses as (
    select * from marts.fct_template_uses
),

final as (
    select
        template_type,
        model_used,
        count(*) as uses,
        count(*) filter (where is_successful) as successful_uses,
        round((count(*) filter (where is_successful))::numeric / count(*), 3) as success_rate
    from fct_template_uses
    group by 1, 2
)

select * from final
order by template_type, model_used
