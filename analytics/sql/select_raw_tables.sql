-- Raw tables that carry the loader's _loaded_at column.
select table_name::text as table_name
from information_schema.columns
where table_schema = 'raw' and column_name = '_loaded_at'
order by table_name
