"""What the warehouse's catalog enforces on the tables of some schemas: NOT NULL, unique indexes."""

from __future__ import annotations

from collections.abc import Collection

from core.db import connect
from orchestration_dagster.lib.test_scope import Enforced

# Tables only (a view enforces nothing); unique indexes that are valid, whole (no predicate)
# and on plain columns, with their columns by name.
_CATALOG = """
select
    namespace.nspname as schema_name,
    class.relname as table_name,
    array(
        select attribute.attname::text
        from pg_attribute as attribute
        where
            attribute.attrelid = class.oid
            and attribute.attnum > 0
            and not attribute.attisdropped
            and attribute.attnotnull
    ) as not_null,
    coalesce((
        select jsonb_agg((
            select jsonb_agg(attribute.attname::text)
            from unnest(index.indkey::int2[]) as indexed (attnum)
            inner join pg_attribute as attribute
                on attribute.attrelid = class.oid and attribute.attnum = indexed.attnum
        ))
        from pg_index as index
        where
            index.indrelid = class.oid
            and index.indisunique
            and index.indisvalid
            and index.indpred is null
            and index.indexprs is null
    ), '[]'::jsonb) as unique_sets
from pg_class as class
inner join pg_namespace as namespace on class.relnamespace = namespace.oid
where class.relkind in ('r', 'p') and namespace.nspname = any(%s)
"""


def read_enforced(dsn: str, schemas: Collection[str]) -> dict[tuple[str, str], Enforced]:
    """Each table of `schemas` with what the database enforces on it, by (schema, table)."""
    with connect(dsn) as conn:
        rows = conn.execute(_CATALOG, [sorted(schemas)]).fetchall()
    return {
        (schema, table): Enforced(
            not_null=frozenset(not_null),
            unique=tuple(frozenset(columns) for columns in unique_sets),
        )
        for schema, table, not_null, unique_sets in rows
    }
