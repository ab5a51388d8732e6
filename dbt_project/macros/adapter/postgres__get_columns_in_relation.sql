{#
    dbt-postgres's own version, except for the type of array columns: information_schema
    calls them all "ARRAY", which is not a type Postgres can cast to, so dbt unit tests fail
    on any input relation holding an array column (cast(null as ARRAY)). Here an array
    column reports its element type plus [] (text[], int4[]), a type Postgres accepts.
    Upstream: https://github.com/dbt-labs/dbt-adapters/issues/675
#}
{% macro postgres__get_columns_in_relation(relation) -%}
    {% call statement('get_columns_in_relation', fetch_result=True) %}
        select
            column_name,
            case
                when data_type = 'ARRAY' then substr(udt_name, 2) || '[]'
                else data_type
            end as data_type,
            character_maximum_length,
            numeric_precision,
            numeric_scale
        from {{ relation.information_schema('columns') }}
        where
            table_name = '{{ relation.identifier }}'
            {% if relation.schema -%}
            and table_schema = '{{ relation.schema }}'
            {%- endif %}
        order by ordinal_position
    {% endcall %}
    {% set table = load_result('get_columns_in_relation').table %}
    {{ return(sql_convert_columns_in_relation(table)) }}
{%- endmacro %}
