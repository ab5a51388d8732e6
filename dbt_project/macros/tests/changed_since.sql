{#
    Where a nightly run's tests start looking at rows, as a Postgres timestamptz expression, or
    none when they look at every row.

    With the var `test_scope: changed` (the nightly's dbt step sets it; see
    orchestration_dagster/lib/test_scope.py), tests of incremental models read the rows loaded
    at or after the oldest `_loaded_at` watermark the incremental models held when this
    invocation started (recorded by record_test_scope(), an on-run-start hook), minus
    incremental_lookback() as the models subtract it: every row the build may have rewritten.
    The value is read from the table when the test is compiled, during the run, so the var
    stays the same every night and dbt's partial parse stays valid (a var that changed would
    re-parse the whole project).

    Every row is tested (none) with `test_scope: all` (the default: backfills, the weekly
    full-test run, dbt by hand), with --full-refresh, and with the reprocess vars.
#}
{% macro changed_since() -%}
    {%- if not tests_scoped() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set since = "coalesce((select since from " ~ test_scope_relation() ~ ") - "
        ~ incremental_lookback() ~ ", '-infinity'::timestamptz)" -%}
    {#- When the test runs, the value itself: a literal lets Postgres weigh the rows it keeps
        (a night's few, read through the index on _loaded_at), where a subquery's value,
        unknown when the plan is made, counts as a third of the table (a seq scan of the 3M
        rows of int_session_templates_unpivoted for each of its tests at 10M events). The
        table is looked up in dbt's relation cache (no query; record_test_scope() adds it):
        without it (a compile before any run) the subquery stays. -#}
    {%- if execute -%}
        {%- set scope = test_scope_relation() -%}
        {%- if adapter.get_relation(
            database=target.database, schema=scope.schema, identifier=scope.identifier
        ) is not none -%}
            {%- set value = run_query("select (" ~ since ~ ")::text").columns[0].values()[0] -%}
            {{ return("'" ~ value ~ "'::timestamptz") }}
        {%- endif -%}
    {%- endif -%}
    {{ return(since) }}
{%- endmacro %}


{# Whether this invocation's tests are scoped to the night's rows (see changed_since()). #}
{% macro tests_scoped() -%}
    {%- set scope = var('test_scope', 'all') | string | trim -%}
    {%- if scope not in ['all', 'changed'] -%}
        {{ exceptions.raise_compiler_error(
            "var test_scope must be 'all' (every row) or 'changed' (the rows the night"
            ~ " changed), got '" ~ scope ~ "'"
        ) }}
    {%- endif -%}
    {{ return(scope == 'changed' and not flags.FULL_REFRESH and reprocess_window() is none) }}
{%- endmacro %}


{# The one-row table that holds this invocation's watermark (in the profile's schema). #}
{% macro test_scope_relation() -%}
    {{ return(api.Relation.create(schema=target.schema, identifier='dbt_test_scope')) }}
{%- endmacro %}


{#
    on-run-start: records where this invocation's tests start (changed_since()): the oldest of
    the newest `_loaded_at` each incremental model holds, or null (every row) when one of them
    does not exist yet, is empty, or has no `_loaded_at` column (built by an older version). Writes nothing unless the tests are scoped.
#}
{% macro record_test_scope() -%}
    {%- if not execute or not tests_scoped() -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set watermarks = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.config.materialized == 'incremental' -%}
        {%- set relation = adapter.get_relation(
            database=node.database, schema=node.schema, identifier=node.alias
        ) -%}
        {%- set columns = adapter.get_columns_in_relation(relation) if relation is not none
            else [] -%}
        {%- if '_loaded_at' not in columns | map(attribute='name') | list -%}
            {#- missing, or built before the model had a load time: test every row -#}
            {%- do watermarks.append('null::timestamptz') -%}
        {%- else -%}
            {%- do watermarks.append('(select max(_loaded_at) from ' ~ relation ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set scope = test_scope_relation() -%}
    {#- dbt's relation cache learns of the table, so changed_since() reads it this run too -#}
    {%- do adapter.cache_added(api.Relation.create(
        database=target.database, schema=scope.schema, identifier=scope.identifier,
        type='table'
    )) -%}
    create table if not exists {{ scope }} (since timestamptz);
    comment on table {{ scope }} is
    'Where the running dbt invocation''s tests of incremental models start (macros/tests).';
    delete from {{ scope }};
    insert into {{ scope }} (since)
    select case when count(*) = count(watermark) then min(watermark) end
    from (
        {%- for watermark in watermarks %}
        select {{ watermark }} as watermark{{ ' union all' if not loop.last }}
        {%- endfor %}
    ) as watermarks
{%- endmacro %}
