{#
    The date range an incremental run rebuilds instead of its lookback window, from the vars
    `reprocess_from` and `reprocess_to` (ISO dates, the end exclusive): a dict with `start`
    and `end` (text 'YYYY-MM-DD'), or none when neither var is set. Setting only one of them,
    a value that is not a date, or an empty range is an error, never a silent full window.
    Dagster backfills a range in one run with --vars '{reprocess_from: ..., reprocess_to: ...}'.
#}
{% macro reprocess_window() -%}
    {%- set start = var('reprocess_from', none) -%}
    {%- set end = var('reprocess_to', none) -%}
    {%- set start = none if start is none else (start | string | trim) or none -%}
    {%- set end = none if end is none else (end | string | trim) or none -%}
    {%- if start is none and end is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if start is none or end is none -%}
        {{ exceptions.raise_compiler_error(
            "set both vars reprocess_from and reprocess_to (ISO dates, the end exclusive),"
            ~ " or neither; got reprocess_from=" ~ start ~ ", reprocess_to=" ~ end
        ) }}
    {%- endif -%}
    {%- set parsed = [] -%}
    {%- for value in [start, end] -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value) -%}
            {{ exceptions.raise_compiler_error(
                "vars reprocess_from and reprocess_to must be ISO dates such as 2026-01-31,"
                ~ " got '" ~ value ~ "'"
            ) }}
        {%- endif -%}
        {%- do parsed.append(modules.datetime.date.fromisoformat(value)) -%}
    {%- endfor -%}
    {%- if parsed[0] >= parsed[1] -%}
        {{ exceptions.raise_compiler_error(
            "reprocess_from (" ~ start ~ ") must be before reprocess_to (" ~ end
            ~ "): the range is [from, to), the end exclusive"
        ) }}
    {%- endif -%}
    {{ return({'start': parsed[0].isoformat(), 'end': parsed[1].isoformat()}) }}
{%- endmacro %}
