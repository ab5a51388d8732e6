{#
    Rebuilt a day at a time: delete+insert keyed on event_date replaces every row of each day
    it recomputes, so a group that no longer has events disappears with its day.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_date',
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ heavy_query_settings() }}",
            "{{ rebuild_if_inputs_were_reset() }}",
        ],
        indexes=[
            {'columns': ['event_date']},
            {'columns': ['event_type', 'event_date']},
            {'columns': ['_loaded_at']},
        ],
    )
}}

with

events as (
    select * from {{ ref('fct_events') }}
    where
        event_date is not null
    {% if is_incremental() -%}
        -- every event of each day that has an event to rebuild; as an array, which Postgres
        -- reads through the index on event_date (`in (select ...)` merge-joined all 10M
        -- events of the bench's history, in date order, for a night's 92 days: 5.5 s)
        and event_date = any(array(
            select distinct event_date
            from {{ ref('fct_events') }}
            where {{ incremental_rows(ref('fct_events'), ['event_id'], 'event_date') }}
        ))
        {%- endif %}
),

final as (
    select
        event_date,
        event_category,
        event_type,
        phase,
        result,
        count(*)::bigint as event_count,
        count(*) filter (where is_error)::bigint as error_event_count,
        count(distinct session_id)::bigint as session_count,
        count(distinct user_identifier)::bigint as developer_count,
        count(duration_ms)::bigint as timed_event_count,
        coalesce(sum(duration_ms), 0)::bigint as total_duration_ms,
        max(_loaded_at) as _loaded_at
    from events
    group by 1, 2, 3, 4, 5
)

select * from final
