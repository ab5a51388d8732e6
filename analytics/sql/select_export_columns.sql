-- The columns of one relation of the marts schema, in order, with their Postgres type, whether
-- they may be null, their comment (dbt's persisted description), and the table's comment and
-- primary key (the export's row order). No row: the schema has no such table.
with

relation as (
    select
        pg_class.oid,
        obj_description(pg_class.oid, 'pg_class') as table_comment
    from pg_class
    inner join pg_namespace
        on pg_class.relnamespace = pg_namespace.oid
    where
        pg_namespace.nspname = 'marts'
        and pg_class.relname = %(name)s
        and pg_class.relkind in ('r', 'v', 'm', 'p')
),

primary_key as (
    select
        pg_constraint.conrelid,
        pg_constraint.conkey
    from pg_constraint
    inner join relation
        on pg_constraint.conrelid = relation.oid
    where pg_constraint.contype = 'p'
),

final as (
    select
        pg_attribute.attnum as column_position,
        pg_attribute.attname::text as column_name,
        format_type(pg_attribute.atttypid, pg_attribute.atttypmod) as postgres_type,
        pg_type.typname::text as type_name,
        pg_type.typcategory::text as type_category,
        element_type.typname::text as element_type_name,
        not pg_attribute.attnotnull as is_nullable,
        col_description(relation.oid, pg_attribute.attnum) as description,
        relation.table_comment,
        coalesce(pg_attribute.attnum = any(primary_key.conkey), false) as is_primary_key,
        array_position(primary_key.conkey, pg_attribute.attnum) as primary_key_position
    from relation
    inner join pg_attribute
        on relation.oid = pg_attribute.attrelid
    inner join pg_type
        on pg_attribute.atttypid = pg_type.oid
    left join pg_type as element_type
        on pg_type.typelem = element_type.oid and pg_type.typcategory = 'A'
    left join primary_key
        on relation.oid = primary_key.conrelid
    where pg_attribute.attnum > 0 and not pg_attribute.attisdropped
)

select * from final
order by column_position
