{#
    The lookback of incremental runs as a Postgres interval literal, from the var
    `incremental_lookback` ("6 hours", "2 days"): an incremental run re-reads every row loaded
    up to this long before the newest load it has already built, so that a batch whose
    transaction started before the previous run but committed after it is not missed.
#}
{% macro incremental_lookback() -%}
    {%- set text = var('incremental_lookback', '6 hours') | string | trim | lower -%}
    {%- if not modules.re.fullmatch('[0-9]+ (minute|hour|day)s?', text) -%}
        {{ exceptions.raise_compiler_error(
            "var incremental_lookback must be a count and a unit such as '6 hours' or"
            ~ " '2 days' (minutes, hours or days), got '" ~ text ~ "'"
        ) }}
    {%- endif -%}
    interval '{{ text }}'
{%- endmacro %}
