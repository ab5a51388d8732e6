-- What the connected login may reach: a BI login is no superuser, belongs to forge_bi, and
-- reaches no schema but marts.
select
    current_user::text as login,
    roles.rolsuper as is_superuser,
    pg_catalog.pg_has_role(current_user, 'forge_bi', 'member') as is_bi,
    pg_catalog.has_schema_privilege('marts', 'usage') as reads_marts,
    array_remove(array[
        case when pg_catalog.has_schema_privilege('raw', 'usage') then 'raw' end,
        case when pg_catalog.has_schema_privilege('staging', 'usage') then 'staging' end,
        case when pg_catalog.has_schema_privilege('intermediate', 'usage') then 'intermediate' end,
        case when pg_catalog.has_schema_privilege('snapshots', 'usage') then 'snapshots' end,
        case when pg_catalog.has_schema_privilege('audit', 'usage') then 'audit' end
    ], null) as other_schemas
from pg_catalog.pg_roles as roles
where roles.rolname = current_user
