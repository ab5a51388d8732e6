{#
    metric_values' join giving each row of a fact its grains, placed after `from <fact>`:
    `grains.grain` is then each grain the row is counted in, and the row's period of it is
    date_trunc(grains.grain, <date_column>). A full build counts every row in every grain (the
    grains CTE); an incremental run counts a row only in the grains whose touched period holds
    its day (the touched_grain_days CTE, joined on the day). The days are also given to the
    fact's scan as an array, so that it reads them through the index on its date column:
    joined alone, Postgres hashed all 2.7M phase executions of a 10M-event history to keep
    the 71k of a night's periods.
#}
{% macro metric_values_grains_of(date_column) -%}
    {%- if is_incremental() -%}
    inner join touched_grain_days as grains
        on
            {{ date_column }} = grains.touched_day
            and {{ date_column }} = any(
                array(select touched_grain_days.touched_day from touched_grain_days)
            )
    {%- else -%}
    cross join grains
    {%- endif %}
{%- endmacro %}
