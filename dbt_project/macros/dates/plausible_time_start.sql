{#
    The first moment of the plausible-time window, as a timestamptz SQL literal: midnight
    UTC of the var `plausible_time_start` (a date, default 2000-01-01). See
    is_plausible_time().
#}
{% macro plausible_time_start() -%}
    {%- set text = var('plausible_time_start', '2000-01-01') | string | trim -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
        {{ exceptions.raise_compiler_error(
            "var plausible_time_start must be an ISO date such as 2000-01-01, got '"
            ~ text ~ "'"
        ) }}
    {%- endif -%}
    ('{{ modules.datetime.date.fromisoformat(text).isoformat() }}'::timestamp at time zone 'utc')
{%- endmacro %}
