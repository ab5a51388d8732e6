{#
    The select that aggregates a relation carrying `grain` and `period_start` (one copy
    of each row per grain) into one row per grain and period, and one more per period and
    value of each dimension: GROUPING SETS, so the total and every split are read in one
    pass. `dimension` names the split (null for the total) and `dimension_value` holds its
    value as text (null both for the total and for rows without a value; `dimension`
    tells them apart). dimensions: {name in metric_values: column}; aggregates: {column
    name: SQL aggregate}.
#}
{% macro metric_periods(relation, dimensions, aggregates) -%}
    select
        grain,
        period_start,
        {%- if dimensions %}
        case
            {%- for name, column in dimensions.items() %}
            when grouping({{ column }}) = 0 then '{{ name }}'
            {%- endfor %}
            else null
        end::text as dimension,
        case
            {%- for name, column in dimensions.items() %}
            when grouping({{ column }}) = 0 then {{ column }}::text
            {%- endfor %}
            else null
        end::text as dimension_value,
        {%- else %}
        null::text as dimension,
        null::text as dimension_value,
        {%- endif %}
        {%- for name, aggregate in aggregates.items() %}
        {{ aggregate }} as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    group by grouping sets (
        (grain, period_start)
        {%- for column in dimensions.values() %},
        (grain, period_start, {{ column }})
        {%- endfor %}
    )
{%- endmacro %}
