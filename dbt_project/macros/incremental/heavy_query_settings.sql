{#
    A pre-hook for the models that sort or hash every row of a large table (the full build of
    the facts, the all-history aggregates): more memory for this model's transaction only
    (`set local`), so sorts and hashes stay in memory instead of spilling to disk. The var
    `heavy_model_work_mem` sets it ('64MB' by default); null leaves the server's setting.
#}
{% macro heavy_query_settings() -%}
    {%- set work_mem = var('heavy_model_work_mem', '64MB') -%}
    {%- if work_mem is none or (work_mem | string | trim) == '' -%}
        select 1
    {%- else -%}
        {%- if not modules.re.fullmatch('[0-9]+ ?(kB|MB|GB)', work_mem | string | trim) -%}
            {{ exceptions.raise_compiler_error(
                "var heavy_model_work_mem must be a size such as '64MB', got '" ~ work_mem ~ "'"
            ) }}
        {%- endif -%}
        set local work_mem = '{{ work_mem | string | trim }}'
    {%- endif -%}
{%- endmacro %}
