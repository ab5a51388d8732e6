{#
    The reference time of relative windows ("last 30 days"), as a timestamptz SQL literal.
    It is the project var `as_of` when set (ISO 8601; without an offset it means UTC), else
    the environment variable FORGE_AS_OF when set (the nightly's dbt steps pass the run's
    as_of so: a var that changed would make dbt parse the whole project again, an environment
    variable only the models that call this macro), else the start of the dbt invocation, so
    every model of one build shares the same value.
#}
{% macro as_of() -%}
    {%- set configured = var('as_of', none) -%}
    {%- if configured is none or (configured | string | trim) == '' -%}
        {%- set configured = env_var('FORGE_AS_OF', '') -%}
    {%- endif -%}
    {%- if configured is none or (configured | string | trim) == '' -%}
        {%- set moment = run_started_at or modules.datetime.datetime.now(modules.pytz.utc) -%}
    {%- else -%}
        {%- set text = configured | string | trim -%}
        {%- set iso_8601 = '[0-9]{4}-[0-9]{2}-[0-9]{2}'
            ~ '([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?)?'
            ~ '(Z|[+-][0-9]{2}(:?[0-9]{2})?)?' -%}
        {%- if not modules.re.fullmatch(iso_8601, text) -%}
            {{ exceptions.raise_compiler_error(
                "as_of (the var, or FORGE_AS_OF) must be an ISO 8601 timestamp such as 2026-01-01T00:00:00+00:00,"
                ~ " got '" ~ text ~ "'"
            ) }}
        {%- endif -%}
        {%- set moment = modules.datetime.datetime.fromisoformat(text | replace('Z', '+00:00')) -%}
        {%- if moment.tzinfo is none -%}
            {%- set moment = moment.replace(tzinfo=modules.pytz.utc) -%}
        {%- endif -%}
    {%- endif -%}
    '{{ moment.astimezone(modules.pytz.utc).isoformat() }}'::timestamptz
{%- endmacro %}
