{#
    The rows of a raw table (`relation`, a source()) that the warehouse builds on, as one
    select statement to place inside the source's import CTE (docs/contract.md section 2):

    - rows of a batch held out by the reject-rate gate (audit.held_batches) are left out,
      on every run, until a person releases the batch;
    - rows of a released batch (audit.released_batches) count as loaded when it was
      released, greatest(_loaded_at, released_at), so incremental models pick them up on
      their next run.

    The raw columns come as they are, plus `_effective_loaded_at`, that load time; base and
    staging models select it as `_loaded_at`. Two branches, each with its load time as a plain
    column, so that an incremental filter on it reaches the raw table's index on _loaded_at
    (first branch) or the few released batches (second branch), never a scan of every raw row.
#}
{% macro without_held_batches(relation) -%}
    {%- set held_batches = source('audit', 'held_batches') -%}
    {%- set released_batches = source('audit', 'released_batches') -%}
    -- rows of batches never held, and of batches released before these rows were loaded
    select
        raw_rows.*,
        raw_rows._loaded_at as _effective_loaded_at
    from {{ relation }} as raw_rows
    where
        not exists (
            select held_batches.batch_id
            from {{ held_batches }} as held_batches
            where held_batches.batch_id = raw_rows._load_id
        )
        and not exists (
            select released_batches.batch_id
            from {{ released_batches }} as released_batches
            where
                released_batches.batch_id = raw_rows._load_id
                and released_batches.released_at > raw_rows._loaded_at
        )
    union all
    -- rows of released batches: as loaded when the batch was released
    select
        raw_rows.*,
        released_batches.released_at as _effective_loaded_at
    from {{ relation }} as raw_rows
    inner join {{ released_batches }} as released_batches
        on raw_rows._load_id = released_batches.batch_id
    where
        released_batches.released_at > raw_rows._loaded_at
        and not exists (
            select held_batches.batch_id
            from {{ held_batches }} as held_batches
            where held_batches.batch_id = raw_rows._load_id
        )
{%- endmacro %}
