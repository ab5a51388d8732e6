-- Close the login's open sessions before it goes, so no dashboard keeps reading as it.
select count(*) filter (where pg_catalog.pg_terminate_backend(pid)) as terminated
from pg_catalog.pg_stat_activity
where usename = %(login)s and pid <> pg_catalog.pg_backend_pid()
