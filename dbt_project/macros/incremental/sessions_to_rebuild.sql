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
