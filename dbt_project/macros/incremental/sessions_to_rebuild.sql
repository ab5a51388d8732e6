{#
    The sessions an incremental run of a per-session model recomputes, from all their rows:
    one select of distinct session_id over `inputs`, a list of (relation or CTE name, date
    column) pairs, holding each session that has a row to rebuild in any of them
    (rows_to_rebuild(): loaded in the lookback window, or dated in the reprocess range).
    Use it only under `{% if is_incremental() %}`, as the body of a CTE.
#}
{% macro sessions_to_rebuild(inputs) -%}
    {%- for relation, date_column in inputs %}
    select session_id
    from {{ relation }}
    where {{ rows_to_rebuild(date_column) }}
    {%- if not loop.last %}
    union distinct
    {%- endif %}
    {%- endfor %}
{%- endmacro %}


{#
    A pre-hook for an incremental model with several rows per session, rebuilt whole per session:
    deletes the rows of the sessions to rebuild (sessions_to_rebuild() over `inputs`, pairs of
    the name of a model it refs and a date column), so a row that a session's new data no
    longer yields goes, as in a full refresh. Runs inside the build's transaction; a no-op
    outside incremental runs.
#}
{% macro delete_sessions_to_rebuild(inputs) -%}
    {%- if is_incremental() -%}
        {%- set relations = [] -%}
        {%- for name, date_column in inputs -%}
            {%- do relations.append((ref(name), date_column)) -%}
        {%- endfor -%}
        delete from {{ this }}
        where session_id in (
            {{ sessions_to_rebuild(relations) | indent(12) }}
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
