{#
    Two price rows of one model whose periods overlap would price a phase execution twice
    (the cost marts join on the period). A failure lists both rows: end the older one
    (valid_to) on the day the newer one starts, in seeds/llm_model_prices.csv.
#}

with

prices as not materialized (
    select * from {{ ref('llm_model_prices') }}
),

final as (
    select
        earlier.model,
        earlier.valid_from as earlier_valid_from,
        earlier.valid_to as earlier_valid_to,
        later.valid_from as later_valid_from,
        later.valid_to as later_valid_to
    from prices as earlier
    inner join prices as later
        on
            earlier.model = later.model
            and earlier.valid_from < later.valid_from
            and (earlier.valid_to is null or earlier.valid_to > later.valid_from)
)

select * from final
