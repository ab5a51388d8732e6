-- One raw table's latest load; Python fills in the table and joins the parts with union all.
-- max(_loaded_at) reads the table's _loaded_at index, not its rows.
select
    {table_name}::text as table_name,
    max(_loaded_at) as last_loaded_at
from {table}
