{#
    Schemas are exactly the ones a folder configures (staging, intermediate, marts,
    snapshots), not dbt's default <target schema>_<custom schema>: those schemas are created
    and granted by sql/warehouse, not by dbt. In a target named `dev` a developer gets
    <custom schema>_<target schema> so that builds do not collide.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- elif target.name == 'dev' -%}
        {{ custom_schema_name | trim }}_{{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
