{#
    Every non-null value of the column lies within [min_value, max_value] (either bound may
    be left out; `inclusive: false` makes both bounds strict). Rows failing are returned.
#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}

with

model_rows as (
    select {{ column_name }} as tested_value
    from {{ model }}
    where {{ column_name }} is not null
),

final as (
    select tested_value
    from model_rows
    where
        false
        {%- if min_value is not none %}
        or tested_value {{ '<' if inclusive else '<=' }} {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
        or tested_value {{ '>' if inclusive else '>=' }} {{ max_value }}
        {%- endif %}
)

select * from final

{% endtest %}
