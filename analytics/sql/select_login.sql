-- One role by name, with the group roles it belongs to.
with

roles as (
    select * from pg_catalog.pg_roles
    where rolname = %(login)s
),

memberships as (
    select
        members.member,
        array_agg(parent_roles.rolname::text order by parent_roles.rolname) as group_roles
    from pg_catalog.pg_auth_members as members
    inner join pg_catalog.pg_roles as parent_roles
        on members.roleid = parent_roles.oid
    group by 1
),

final as (
    select
        roles.rolname::text as login,
        roles.rolcanlogin as can_login,
        roles.rolsuper as is_superuser,
        coalesce(memberships.group_roles, '{}') as group_roles
    from roles
    left join memberships
        on roles.oid = memberships.member
)

select * from final
