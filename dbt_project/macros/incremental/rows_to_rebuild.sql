{#
    Whether a row of an input is one an incremental run rebuilds from, as a boolean SQL
    expression over the input's columns; use it only under `{% if is_incremental() %}`.

    - With vars reprocess_from / reprocess_to: the row is dated (`date_column`) in [from, to).
    - Otherwise, the lookback window: the row was loaded (`_loaded_at`) since the newest load
      the model being built holds, minus incremental_lookback(). New and late-arriving
      records are found by when they were loaded, whatever date they carry.
#}
{% macro rows_to_rebuild(date_column) -%}
    {%- set window = reprocess_window() -%}
    {%- if window is not none -%}
        (
            {{ date_column }} >= '{{ window.start }}'::date
            and {{ date_column }} < '{{ window.end }}'::date
        )
    {%- else -%}
        _loaded_at >= {{ incremental_watermark() }}
    {%- endif -%}
{%- endmacro %}
