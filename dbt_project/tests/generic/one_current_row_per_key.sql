{#
    A snapshot holds exactly one current row (valid_to null) for every key it has ever seen:
    none means the key's history was closed without a successor, two mean overlapping
    versions. Returns each such key with its count of current rows.
#}
{% test one_current_row_per_key(model, key_column, valid_to_column='dbt_valid_to') %}

with

model_rows as (
    select
        {{ key_column }} as snapshot_key,
        {{ valid_to_column }} as valid_to
    from {{ model }}
),

final as (
    select
        snapshot_key,
        count(*) filter (where valid_to is null) as current_row_count
    from model_rows
    group by 1
    having count(*) filter (where valid_to is null) <> 1
)

select * from final

{% endtest %}
