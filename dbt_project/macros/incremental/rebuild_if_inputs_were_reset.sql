{#
    A pre-hook for incremental models: empties the model, inside its own build transaction,
    when its inputs (the tables and raw sources it reads, through any views between:
    _loaded_at_relations()) have lost rows it was built from: the oldest `_loaded_at` it
    holds is older than anything left in its inputs, as after raw was truncated and reloaded or an upstream
    incremental model was itself rebuilt. The run then reads everything, as a first build
    would, instead of keeping rows that no longer exist upstream. Raw is append-only, so in
    normal operation this deletes nothing; a purge of only some raw rows is not detected (run
    `dbt build --full-refresh` after one). A no-op outside incremental runs.
#}
{% macro rebuild_if_inputs_were_reset() -%}
    {%- if is_incremental() -%}
        {%- set inputs = _loaded_at_relations(model.depends_on.nodes) -%}
        delete from {{ this }}
        where (select min(_loaded_at) from {{ this }}) < coalesce(
            least(
                {%- for relation in inputs %}
                (select min(_loaded_at) from {{ relation }}){{ ',' if not loop.last }}
                {%- endfor %}
            ),
            'infinity'::timestamptz
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
