-- Every template with its use span, success rate and successor, in order of first use.
with

template_metrics as (
    select * from marts.template_metrics
),

final as (
    select
        template_type,
        template_hash,
        usage_count,
        success_rate,
        first_used_at,
        last_used_at,
        deprecated_at,
        replacement_template_hash
    from template_metrics
)

select * from final
order by
    coalesce(
        array_position(
            array['planning', 'analysis', 'implementation', 'testing', 'cleaning'], template_type
        ),
        99
    ),
    first_used_at,
    template_hash
