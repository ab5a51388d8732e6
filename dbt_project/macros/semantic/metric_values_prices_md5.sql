{#
    The fingerprint of the price seed as an aggregate over its rows (`alias`, the seed's
    alias in the query): md5 of every row's text, in a fixed order. metric_values keeps it
    on its cost rows (`_prices_md5`) and rebuilds everything when it changes.
#}
{% macro metric_values_prices_md5(alias) -%}
    md5(coalesce(string_agg({{ alias }}::text, '|' order by {{ alias }}::text), ''))
{%- endmacro %}
