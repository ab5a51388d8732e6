{#
    Whether the timestamp `column` lies in the plausible-time window, as a boolean SQL
    expression (null when the timestamp is null): not before plausible_time_start() (var
    `plausible_time_start`, default 2000-01-01 UTC) and not later than the var
    `plausible_time_tolerance` (default 1 day) after the row was loaded (`loaded_at`, the raw
    row's own load time). The window of ingest's default (docs/contract.md section 2), so a
    row loaded before ingest enforced it is judged alike; a window anchored on the load, not
    on the build, keeps an incremental build equal to a full refresh.
#}
{% macro is_plausible_time(column, loaded_at='_loaded_at') -%}
    {%- set tolerance = var('plausible_time_tolerance', '1 day') | string | trim | lower -%}
    {%- if not modules.re.fullmatch('[0-9]+ (minute|hour|day)s?', tolerance) -%}
        {{ exceptions.raise_compiler_error(
            "var plausible_time_tolerance must be a count and a unit such as '1 day' or"
            ~ " '36 hours' (minutes, hours or days), got '" ~ tolerance ~ "'"
        ) }}
    {%- endif -%}
    (
        {{ column }} >= {{ plausible_time_start() }}
        and {{ column }} <= {{ loaded_at }} + interval '{{ tolerance }}'
    )
{%- endmacro %}
