-- depends: 0001.schemas
-- Group roles (nolog): logins are granted membership, never these privileges directly.
--   forge_loader:      ingest; writes raw and audit
--   forge_transformer: dbt; reads raw, owns what it builds in staging..snapshots
--   forge_analyst:     people writing SQL; reads staging, intermediate and marts
--   forge_bi:          BI tools; reads marts and nothing else
do $roles$
declare
    role_name text;
begin
    foreach role_name in array array['forge_loader', 'forge_transformer', 'forge_analyst', 'forge_bi']
    loop
        if not exists (select from pg_catalog.pg_roles where rolname = role_name) then
            begin
                execute format('create role %I nologin', role_name);
            exception when duplicate_object or unique_violation then
                -- roles belong to the cluster: another database's migration made it just now
                null;
            end;
        end if;
    end loop;
end
$roles$;

-- Nobody reaches the layers through public.
revoke all on schema raw, staging, intermediate, marts, snapshots, audit from public;

grant usage, create on schema raw, audit to forge_loader;
grant usage on schema raw to forge_transformer;
grant usage, create on schema staging, intermediate, marts, snapshots to forge_transformer;
grant usage on schema audit to forge_transformer;
grant usage on schema staging, intermediate, marts to forge_analyst;
grant usage on schema marts to forge_bi;

-- Tables created later by the role running migrations and dbt inherit these grants.
alter default privileges in schema raw grant select, insert on tables to forge_loader;
alter default privileges in schema raw grant select on tables to forge_transformer;
alter default privileges in schema audit grant select, insert, update on tables to forge_loader;
alter default privileges in schema audit grant select on tables to forge_transformer;
alter default privileges in schema staging grant select on tables to forge_analyst;
alter default privileges in schema intermediate grant select on tables to forge_analyst;
alter default privileges in schema marts grant select on tables to forge_analyst, forge_bi;
alter default privileges in schema audit grant usage on sequences to forge_loader;
