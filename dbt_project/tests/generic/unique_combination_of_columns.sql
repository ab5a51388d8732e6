{#
    The combination of the listed columns is unique across the model: the composite-key
    counterpart of dbt's `unique`. Returns each duplicated combination with its row count.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- set column_list = combination_of_columns | join(', ') %}

with

model_rows as (
    select {{ column_list }} from {{ model }}
),

final as (
    select
        {{ column_list }},
        count(*) as row_count
    from model_rows
    group by {{ column_list }}
    having count(*) > 1
)

select * from final

{% endtest %}
