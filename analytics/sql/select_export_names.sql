-- The tables and views of the marts schema: what `forge-warehouse export` can write.
select pg_class.relname::text as name
from pg_class
inner join pg_namespace
    on pg_class.relnamespace = pg_namespace.oid
where pg_namespace.nspname = 'marts' and pg_class.relkind in ('r', 'v', 'm', 'p')
order by 1
