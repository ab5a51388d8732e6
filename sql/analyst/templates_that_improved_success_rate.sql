-- Which template changes made a phase succeed more often?
-- Each deprecated template beside the template that replaced it (same phase type), with the
-- change in success rate in percentage points; only changes that improved it. One row per
-- replacement. Look at both usage counts before trusting a small change: at 30 uses a single
-- session moves a rate by about 3 points.
with

template_metrics as (
    select * from marts.template_metrics
),

replaced as (
    select * from template_metrics
    where replacement_template_hash is not null
),

final as (
    select
        replaced.template_type,
        left(replaced.template_hash, 12) as old_template,
        left(replacement.template_hash, 12) as new_template,
        replaced.deprecated_at,
        replaced.usage_count as old_uses,
        replacement.usage_count as new_uses,
        round(replaced.success_rate::numeric, 3) as old_success_rate,
        round(replacement.success_rate::numeric, 3) as new_success_rate,
        round(((replacement.success_rate - replaced.success_rate) * 100)::numeric, 1)
            as change_in_points
    from replaced
    inner join template_metrics as replacement
        on
            replaced.template_type = replacement.template_type
            and replaced.replacement_template_hash = replacement.template_hash
    where replacement.success_rate > replaced.success_rate
)

select * from final
order by change_in_points desc, template_type asc
