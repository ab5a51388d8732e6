with

sessions as (
    select * from {{ ref('stg_prompt_runner__orchestration_sessions') }}
),

sessions_categorized as (
    select
        session_id,
        initcap({{ complexity_category('complexity_score') }}) as complexity_category,
        total_duration_seconds,
        actual_hours,
        is_successful,
        retry_count,
        manual_interventions
    from sessions
    where complexity_score is not null
),

final as (
    select
        complexity_category,
        count(*)::bigint as feature_count,
        -- means over numeric: exact, so they do not depend on the order rows are stored in
        avg(total_duration_seconds::numeric / 3600)::double precision as avg_duration_hours,
        avg(actual_hours::numeric)::double precision as avg_actual_hours,
        -- As the seed: a null overall_success counts as not successful.
        avg(
            case
                when is_successful then 1
                else 0
            end
        )::double precision as success_rate,
        avg(retry_count)::double precision as avg_retries,
        avg(manual_interventions)::double precision as avg_interventions
    from sessions_categorized
    group by 1
)

select * from final
