{#
    A session uses a template in a phase when it names one for that phase (its
    <phase>_template_hash), whether or not the phase has run yet: this is the usage that
    template_metrics counts, and its success is the session's <phase>_success.
#}

{% set phases = var('phases') %}

with

sessions as (
    select * from {{ ref('fct_sessions') }}
),

phase_costs as (
    select * from {{ ref('fct_phase_execution_costs') }}
),

templates_unpivoted as (
    {%- for phase in phases %}
    select
        session_id,
        '{{ phase }}'::text as template_type,
        {{ phase }}_template_hash as template_hash,
        user_identifier,
        created_date,
        is_{{ phase }}_successful as is_successful
    from sessions
    where {{ phase }}_template_hash is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        -- ids
        templates_unpivoted.session_id,
        templates_unpivoted.template_type,
        templates_unpivoted.template_hash,
        templates_unpivoted.user_identifier,

        -- dates
        templates_unpivoted.created_date,

        -- outcome
        templates_unpivoted.is_successful,
        templates_unpivoted.is_successful is not null as is_finished,

        -- the phase execution the template drove, and its cost
        phase_costs.session_id is not null as has_phase_execution,
        phase_costs.model_used,
        phase_costs.total_tokens,
        phase_costs.pricing_status,
        phase_costs.cost_usd,
        coalesce(phase_costs.unpriced_tokens, 0)::bigint as unpriced_tokens
    from templates_unpivoted
    left join phase_costs
        on
            templates_unpivoted.session_id = phase_costs.session_id
            and templates_unpivoted.template_type = phase_costs.phase
)

select * from final
