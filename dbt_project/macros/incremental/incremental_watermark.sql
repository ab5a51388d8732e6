{#
    A scalar subquery: the newest `_loaded_at` the incremental model `relation` (default: the
    model being built) holds, minus incremental_lookback(). Rows loaded at or after it are
    (re)built by the next incremental run; '-infinity' when the model is empty.
#}
{% macro incremental_watermark(relation=none) -%}
    (
        select coalesce(max(_loaded_at), '-infinity'::timestamptz) - {{ incremental_lookback() }}
        from {{ relation or this }}
    )
{%- endmacro %}
