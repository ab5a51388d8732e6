{#
    The current state of a raw table (docs/contract.md section 3): one row per `partition_by`
    key, the version with the greatest `version_column` when the entity has one, ties (and
    entities without one) going to the row loaded last (`_ingest_seq`, the total load order).
    Renders one select statement, to be placed inside a CTE.
#}
{% macro keep_latest_version(relation, partition_by, version_column=none) -%}
    {%- set key_list = partition_by | join(', ') -%}
    select distinct on ({{ key_list }}) *
    from {{ relation }}
    order by
        {{ key_list }},
        {% if version_column is not none -%}
        {{ version_column }} desc nulls last,
        {% endif -%}
        _ingest_seq desc
{%- endmacro %}
