{#
    The version of the price seed llm_model_prices as built into a cost model's rows: the md5
    of its rows in text form, in a fixed order. A cost model stores it in every row
    (price_list_version) so that a change of any price can be noticed without reading the
    model (rebuild_if_prices_changed()).
#}
{% macro price_list_version() -%}
    (
        select md5(coalesce(string_agg(prices::text, '|' order by prices::text), ''))
        from {{ ref('llm_model_prices') }} as prices
    )
{%- endmacro %}


{#
    A pre-hook for incremental cost models: empties the model, inside its own build
    transaction, when the prices it was built with are not the seed's any more, so the run
    reads everything again, as a first build would (rows_to_rebuild() then starts from
    '-infinity'). Compares one stored row's version, once: a no-op when nothing changed. A
    table built before the model was incremental is one clear error asking for a full
    refresh of it and what reads it.
#}
{% macro rebuild_if_prices_changed() -%}
    {%- if is_incremental() -%}
        {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
        {%- if execute and 'price_list_version' not in columns -%}
            {{ exceptions.raise_compiler_error(
                this ~ " was built before it was incremental (it has no price_list_version):"
                ~ " rebuild it once with dbt build --full-refresh --select "
                ~ this.identifier ~ "+"
            ) }}
        {%- endif -%}
        delete from {{ this }}
        where (select price_list_version from {{ this }} limit 1)
        is distinct from {{ price_list_version() }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
