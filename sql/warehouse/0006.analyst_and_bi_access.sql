-- depends: 0004.audit_tables
-- Analyst and BI access, tightened beyond the schema grants of 0002. Postgres gives PUBLIC (every
-- login) a few rights outside any schema; a BI login must get none of them:
--   * temporary tables: TEMP on the database goes to the loader and dbt only (dbt's incremental
--     models and snapshots build in temporary tables);
--   * schema public: no CREATE for anyone (the default since Postgres 15, not before);
--   * large objects: creating one is a write outside every schema, so only the owner may.
-- Reading pg_catalog and information_schema stays as Postgres ships it: names, no data.

do $access$
begin
    execute format('revoke temporary on database %I from public', current_database());
    execute format(
        'grant temporary on database %I to forge_loader, forge_transformer', current_database()
    );
end
$access$;

revoke create on schema public from public;

-- on a server where we do not own pg_catalog this only warns, and the BI login's
-- default_transaction_read_only is what refuses large objects
revoke execute on function
pg_catalog.lo_creat(integer),
pg_catalog.lo_create(oid),
pg_catalog.lo_from_bytea(oid, bytea)
from public;

-- What already exists (a warehouse built before this migration); dbt grants each model again on
-- every build and the default privileges of 0002 cover tables created later by the same role.
grant select on all tables in schema staging, intermediate, marts to forge_analyst;
grant select on all tables in schema marts to forge_bi;
