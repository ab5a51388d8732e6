{#
    metric_values' pre-hook: empties it, inside its own build transaction, when what it was
    built from cannot be told apart by load time, so that the run recomputes every period
    as a first build would:

    - the price seed differs from the one its cost rows were priced with (`_prices_md5`):
      a price edit changes past costs, and a seed has no load time;
    - its inputs were reset (raw truncated and reloaded, a fact rebuilt from nothing): the
      oldest `_loaded_at` it holds is older than anything left in the facts it reads load
      times from (as rebuild_if_inputs_were_reset() does for the other incremental models).

    `load_inputs`: the names of the models whose `_loaded_at` metric_values keeps;
    `cost_metrics`: the metrics whose rows carry `_prices_md5`; `prices`: the price seed's
    name. Names, not refs, so that the model's config holds no ref() outside its import CTEs;
    the model reads every one of them. A no-op outside incremental runs.
#}
{% macro metric_values_rebuild_if_stale(load_inputs, cost_metrics, prices) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where
            exists (
                select 1
                from {{ this }} as built
                where
                    built.metric in (
                        {%- for metric in cost_metrics -%}
                        '{{ metric }}'{{ ", " if not loop.last }}
                        {%- endfor -%}
                    )
                    and built._prices_md5 is distinct from (
                        select {{ metric_values_prices_md5('price_rows') }}
                        from {{ ref(prices) }} as price_rows
                    )
            )
            or (select min(built._loaded_at) from {{ this }} as built) < coalesce(
                least(
                    {%- for relation in load_inputs %}
                    (select min(_loaded_at) from {{ ref(relation) }}){{ ',' if not loop.last }}
                    {%- endfor %}
                ),
                'infinity'::timestamptz
            )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
