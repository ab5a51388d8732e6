-- Every login in forge_bi or forge_analyst: its limits, session defaults and open sessions.
with

roles as (
    select * from pg_catalog.pg_roles
    where rolcanlogin
),

groups as (
    select * from pg_catalog.pg_roles
    where rolname in ('forge_bi', 'forge_analyst')
),

members as (
    select * from pg_catalog.pg_auth_members
),

settings as (
    select * from pg_catalog.pg_db_role_setting
    where setdatabase = 0
),

sessions as (
    select
        usename,
        count(*) as connections
    from pg_catalog.pg_stat_activity
    where backend_type = 'client backend'
    group by 1
),

final as (
    select
        roles.rolname::text as login,
        groups.rolname::text as group_role,
        roles.rolconnlimit as connection_limit,
        coalesce(sessions.connections, 0) as connections,
        coalesce(settings.setconfig, '{}') as settings,
        pg_catalog.shobj_description(roles.oid, 'pg_authid') as note
    from roles
    inner join members
        on roles.oid = members.member
    inner join groups
        on members.roleid = groups.oid
    left join settings
        on roles.oid = settings.setrole
    left join sessions
        on roles.rolname = sessions.usename
)

select * from final
order by login
