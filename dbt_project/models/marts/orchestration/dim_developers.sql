with

-- Only the columns used below (the CTE is read three times, so it is materialized).
sessions as not materialized (
    select
        user_identifier,
        session_type,
        feature_category,
        is_successful,
        created_at,
        created_date
    from {{ ref('fct_sessions') }}
    where user_identifier is not null
),

developer_sessions as (
    select
        user_identifier,
        min(created_at) as first_session_at,
        max(created_at) as last_session_at,
        count(*) as session_count,
        count(distinct created_date) as active_days,
        count(*) filter (where is_successful) as successful_session_count
    from sessions
    where user_identifier is not null
    group by 1
),

session_types_counted as (
    select
        user_identifier,
        session_type,
        count(*) as session_count
    from sessions
    where session_type is not null
    group by 1, 2
),

feature_categories_counted as (
    select
        user_identifier,
        feature_category,
        count(*) as session_count
    from sessions
    where feature_category is not null
    group by 1, 2
),

-- The developer's most frequent value of a column; ties go to the smallest value, so the
-- result does not depend on row order.
session_types_ranked as (
    select distinct on (user_identifier)
        user_identifier,
        session_type
    from session_types_counted
    order by user_identifier asc, session_count desc, session_type asc
),

feature_categories_ranked as (
    select distinct on (user_identifier)
        user_identifier,
        feature_category
    from feature_categories_counted
    order by user_identifier asc, session_count desc, feature_category asc
),

final as (
    select
        developer_sessions.user_identifier,
        developer_sessions.first_session_at,
        developer_sessions.last_session_at,
        developer_sessions.session_count::bigint as session_count,
        developer_sessions.successful_session_count::bigint as successful_session_count,
        developer_sessions.active_days::bigint as active_days,
        session_types_ranked.session_type as usual_session_type,
        feature_categories_ranked.feature_category as usual_feature_category
    from developer_sessions
    left join session_types_ranked
        on developer_sessions.user_identifier = session_types_ranked.user_identifier
    left join feature_categories_ranked
        on developer_sessions.user_identifier = feature_categories_ranked.user_identifier
)

select * from final
