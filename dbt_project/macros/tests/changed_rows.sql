{#
    A boolean SQL expression over `column` (default `_loaded_at`): true for the rows a nightly
    run's tests look at (loaded at or after changed_since()), `true` for every row otherwise.
    For singular tests that reconcile incremental models: `{{ changed_rows('events._loaded_at') }}`.
#}
{% macro changed_rows(column='_loaded_at') -%}
    {%- set since = changed_since() -%}
    {%- if since is none -%}
        true
    {%- else -%}
        {{ column }} >= {{ since }}
    {%- endif -%}
{%- endmacro %}
