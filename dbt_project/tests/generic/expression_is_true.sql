{#
    A boolean SQL expression holds on every row of the model (null counts as a failure).
    Placed under a column, the expression still names its columns itself.
    Rows where it does not hold are returned.
#}
{% test expression_is_true(model, expression, column_name=none) %}

with

model_rows as (
    select * from {{ model }}
),

final as (
    select *
    from model_rows
    where not coalesce(({{ expression }}), false)
)

select * from final

{% endtest %}
