{#
    Every partition (e.g. each metric) has one row for every day from the model's first
    date to its last date: no day missing, none twice, and all partitions cover the same
    days. Returns each partition whose days differ from that, with what it has.
#}
{% test complete_date_spine(model, date_column, partition_columns) %}

{%- set partitions = partition_columns | join(', ') %}

with

model_rows as (
    select {{ partitions }}, {{ date_column }} as spine_date from {{ model }}
),

bounds as (
    select
        min(spine_date) as first_date,
        max(spine_date) as last_date
    from model_rows
),

partitions_summarized as (
    select
        {{ partitions }},
        min(spine_date) as first_date,
        max(spine_date) as last_date,
        count(*) as row_count,
        count(distinct spine_date) as day_count
    from model_rows
    group by {{ partitions }}
),

final as (
    select partitions_summarized.*
    from partitions_summarized
    cross join bounds
    where
        partitions_summarized.first_date <> bounds.first_date
        or partitions_summarized.last_date <> bounds.last_date
        or partitions_summarized.row_count <> partitions_summarized.day_count
        or partitions_summarized.day_count <> bounds.last_date - bounds.first_date + 1
)

select * from final

{% endtest %}
