{#
    dbt's own get_where_subquery (the relation a generic test reads, filtered by its `where`
    config), plus the nightly scope: when the var tests_changed_since is set and the tested
    relation is an incremental model, the test reads only the rows loaded since then
    (changed_rows()), through the model's index on _loaded_at. Every other relation (tables
    rebuilt whole, views, snapshots, sources) is read whole, as before.

    What this leaves to the database: a test of an incremental model no longer sees its older
    rows at night, so each such model holds its whole-table guarantees as constraints the
    database enforces on every write (its contract's primary_key and not_null constraints;
    fct_events_daily's unique index on its grain). The full suite, every row of every model,
    runs on backfills, full refreshes and the weekly full-test schedule (var unset).
#}
{% macro postgres__get_where_subquery(relation) -%}
    {%- set filters = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do filters.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {#- tests_scoped() first: no query, and it spares every unscoped test the walk over the
        graph; the scope's moment is read (a query) only for a test that uses it -#}
    {%- if execute and tests_scoped() and is_incremental_relation(relation) -%}
        {%- do filters.append(changed_rows()) -%}
    {%- endif -%}
    {%- if filters -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ filters | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}


{#
    Whether `relation` is an incremental model of this project (found in the graph by schema
    and name).
#}
{% macro is_incremental_relation(relation) -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model'
            and node.config.materialized == 'incremental'
            and node.schema == relation.schema
            and node.alias == relation.identifier -%}
            {{ return(true) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}
