{#
    The UTC calendar date of the timestamp `column` when it is plausible
    (is_plausible_time()), else null: the date a daily series counts the row on. A row with
    an implausible time keeps its timestamp as received but has no day, so it never stretches
    a date spine to year 1 or year 10000.
#}
{% macro plausible_date(column, loaded_at='_loaded_at') -%}
    case
        when {{ is_plausible_time(column, loaded_at) }}
            then ({{ column }} at time zone 'utc')::date
        else null
    end
{%- endmacro %}
