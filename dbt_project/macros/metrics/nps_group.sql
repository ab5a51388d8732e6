{#
    The Net Promoter group of a 1-10 likelihood score: promoter (9-10), passive (7-8),
    detractor (1-6); null without a score.
#}
{% macro nps_group(score_column) -%}
    case
        when {{ score_column }} is null then null
        when {{ score_column }} >= 9 then 'promoter'
        when {{ score_column }} >= 7 then 'passive'
        else 'detractor'
    end
{%- endmacro %}
