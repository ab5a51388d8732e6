{#
    Citus (docs/scaling.md): on the target named `citus`, a model or seed whose config has
    `meta: {citus: {distribution_column: <column>}}` becomes a hash-distributed table, in the
    co-location group of `colocate_with` ('default': every table distributed by a column of
    the same type; or the name of a table already distributed), and one with
    `meta: {citus: {reference: true}}` becomes a reference table (a copy on every node).

    citus_distribute() is the post-hook (dbt_project.yml) that does it once the model is
    built. It runs in the build's transaction, after the table was renamed into place. Each
    statement acts only when the table is not yet in Citus' metadata (pg_dist_partition):
    a table or full refresh builds a new table, which is distributed; an incremental run
    writes into the table already distributed, and the statement selects nothing. On any
    other target, and for a model without `meta.citus`, it renders nothing, so dbt runs no
    statement at all.

    citus_distribution_plan() prints, for every such node, the statement its hook would run:
    dbt run-operation citus_distribution_plan --target citus
#}
{% macro citus_distribute() -%}
    {{- citus_distribution_sql(this, config.meta_get('citus')) -}}
{%- endmacro %}


{% macro citus_distribution_sql(relation, citus) -%}
    {%- if target.name == 'citus' and citus -%}
        {%- set column = citus.get('distribution_column') -%}
        {%- set reference = citus.get('reference', false) -%}
        {%- if (column and reference) or not (column or reference) -%}
            {{ exceptions.raise_compiler_error(
                relation ~ ": meta.citus needs either distribution_column or reference: true,"
                ~ " not " ~ (citus | tojson)
            ) }}
        {%- endif -%}
        {%- set name = "'" ~ relation.include(database=false) ~ "'" -%}
        {%- if column -%}
            select create_distributed_table(
                {{ name }},
                '{{ column }}',
                colocate_with => '{{ citus.get("colocate_with", "default") }}'
            )
        {%- else -%}
            select create_reference_table({{ name }})
        {%- endif %}
            where not exists (
                select from pg_dist_partition
                where logicalrelid = {{ name }}::regclass
            )
    {%- endif -%}
{%- endmacro %}


{% macro citus_distribution_plan() -%}
    {%- for node in graph.nodes.values()
        if node.resource_type in ['model', 'seed'] and node.config.meta.get('citus') -%}
        {%- set relation = api.Relation.create(
            database=node.database, schema=node.schema, identifier=node.alias
        ) -%}
        {%- set statement = citus_distribution_sql(relation, node.config.meta['citus']) | trim -%}
        {%- if statement -%}
            {{- print('-- ' ~ node.unique_id ~ '\n' ~ statement ~ ';') -}}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}
