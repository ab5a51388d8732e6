{#
    The rows of `relation` an incremental run rebuilds, as a boolean SQL expression over its
    columns; use it only under `{% if is_incremental() %}`.

    - With vars reprocess_from / reprocess_to: every row whose `key_columns` value has a row
      dated (`date_column`) in [from, to). Selecting by key, not by date, keeps all versions
      of a record together, so the current version is chosen among all of them.
    - Otherwise, the rows of rows_to_rebuild(): loaded since the newest load this model
      holds, minus incremental_lookback().
#}
{% macro incremental_rows(relation, key_columns, date_column) -%}
    {%- set keys = key_columns | join(', ') -%}
    {%- if reprocess_window() is not none -%}
        ({{ keys }}) in (
            select {{ keys }}
            from {{ relation }}
            where {{ rows_to_rebuild(date_column) }}
        )
    {%- else -%}
        {{ rows_to_rebuild(date_column) }}
    {%- endif -%}
{%- endmacro %}
