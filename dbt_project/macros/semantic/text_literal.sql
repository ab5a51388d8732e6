{#
    A Jinja value as a Postgres text literal (single quotes doubled), or null::text for
    none: for models that write rows out of dbt's own graph (dim_metrics).
#}
{% macro text_literal(value) -%}
    {%- if value is none -%}
        null::text
    {%- else -%}
        '{{ value | string | replace("'", "''") }}'::text
    {%- endif -%}
{%- endmacro %}
