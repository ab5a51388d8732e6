{#
    The rows of `relation` an incremental run rebuilds, as a boolean SQL expression over its
    columns; use it only under `{% if is_incremental() %}`.

    - With vars reprocess_from / reprocess_to: every row whose `key_columns` value has a row
      dated (`date_column`) in [from, to). Selecting by key, not by date, keeps all versions
      of a record together, so the current version is chosen among all of them.
    - Otherwise, the lookback window: rows loaded (`_loaded_at`) since the newest load this
      model holds, minus incremental_lookback(). New and late-arriving records are found by
      when they were loaded, whatever date they carry.
#}
{% macro incremental_rows(relation, key_columns, date_column) -%}
    {%- set window = reprocess_window() -%}
    {%- set keys = key_columns | join(', ') -%}
    {%- if window is not none -%}
        ({{ keys }}) in (
            select {{ keys }}
            from {{ relation }}
            where
                {{ date_column }} >= '{{ window.start }}'::date
                and {{ date_column }} < '{{ window.end }}'::date
        )
    {%- else -%}
        _loaded_at >= {{ incremental_watermark() }}
    {%- endif -%}
{%- endmacro %}
