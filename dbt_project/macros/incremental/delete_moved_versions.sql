{#
    A pre-hook for an incremental model keyed on something other than its records' id (one
    row per session and phase, say, from phase metrics that carry an id of their own): deletes
    the rows built from an id whose newest version among the rows this run reads
    (incremental_rows() over the model named `parent`, which the model itself refs, filtered
    by `where` as the model filters them) sits
    under another key. A record whose new version moved to another session or phase then
    leaves nothing behind under its old key, as in a full refresh. Runs inside the build's
    transaction; reads only this run's rows, through the index on `id_column`. The key the
    record left is not re-derived from other ids that claimed it before (a full refresh
    would give it to the newest of them); sums over the session or day it left are
    recounted by the next full refresh, as for a record that moved to another day.
#}
{% macro delete_moved_versions(parent, id_column, key_columns, date_column, where='true') -%}
    {%- if is_incremental() -%}
        {%- set relation = ref(parent) -%}
        {%- set keys = key_columns | join(', ') -%}
        {%- set built_key = 'built.' ~ key_columns | join(', built.') -%}
        {%- set newest_key = 'newest.' ~ key_columns | join(', newest.') -%}
        delete from {{ this }} as built
        using (
            select distinct on ({{ id_column }}) {{ id_column }}, {{ keys }}
            from {{ relation }}
            where
                ({{ where }})
                and {{ incremental_rows(relation, key_columns, date_column) }}
            order by {{ id_column }}, _ingest_seq desc
        ) as newest
        where
            built.{{ id_column }} = newest.{{ id_column }}
            and ({{ built_key }}) is distinct from ({{ newest_key }})
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
