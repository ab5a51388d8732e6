{% set phases = ['planning', 'analysis', 'implementation', 'testing', 'cleaning'] %}

with

sessions as (
    select * from {{ ref('stg_prompt_runner__orchestration_sessions') }}
),

-- One branch per phase type: the session's template for it, with that phase's outcome.
templates_unpivoted as (
    {%- for phase in phases %}
    select
        session_id,
        '{{ phase }}'::text as template_type,
        {{ phase }}_template as template_text,
        is_{{ phase }}_successful as is_phase_successful,
        {{ phase }}_started_at as phase_started_at,
        {{ phase }}_completed_at as phase_completed_at,
        feature_category,
        complexity_score,
        developer_rating,
        created_at as session_created_at
    from sessions
    where {{ phase }}_template is not null
    {% if not loop.last %}
    union all
    {% endif %}
    {%- endfor %}
),

final as (
    select
        session_id,
        template_type,
        {{ sha256_hex('template_text') }} as template_hash,
        template_text,
        is_phase_successful,
        phase_started_at,
        phase_completed_at,
        feature_category,
        complexity_score,
        {{ complexity_category('complexity_score') }} as complexity_category,
        developer_rating,
        session_created_at,
        extract(epoch from phase_completed_at - phase_started_at)::double precision
            as phase_completion_seconds
    from templates_unpivoted
)

select * from final
