{#
    A bound of the 95% Wilson score interval of a proportion, successes out of trials, as a
    double precision between 0 and 1 (multiply by 100 for percent); null when trials is 0 or
    null. side: 'lower' or 'upper'. Unlike the normal approximation it stays inside [0, 1]
    and is honest for small samples and for rates near 0 or 1:
        (p + z^2/2n -/+ z * sqrt(p(1 - p)/n + z^2/4n^2)) / (1 + z^2/n),  p = successes / n.
#}
{% macro wilson_bound(successes, trials, side='lower', z=1.959963984540054) -%}
    {%- if side not in ['lower', 'upper'] -%}
        {{ exceptions.raise_compiler_error("wilson_bound: side must be 'lower' or 'upper'") }}
    {%- endif -%}
    {%- set n = '(' ~ trials ~ ')::double precision' -%}
    {%- set p = '((' ~ successes ~ ')::double precision / nullif(' ~ n ~ ', 0))' -%}
    {%- set z2 = z * z -%}
    {%- set bound -%}
        (
            {{ p }} + {{ z2 }} / (2 * {{ n }})
            {{ '-' if side == 'lower' else '+' }} {{ z }} * sqrt(
                {{ p }} * (1 - {{ p }}) / {{ n }} + {{ z2 }} / (4 * {{ n }} * {{ n }})
            )
        ) / (1 + {{ z2 }} / {{ n }})
    {%- endset -%}
    {#- greatest/least ignore nulls: the case keeps a null for an empty sample; at 0 or n
        successes the bound is exactly 0 or 1, which floating point only approaches -#}
    case
        when ({{ trials }}) is null or ({{ trials }}) <= 0 then null
        {%- if side == 'lower' %}
        when ({{ successes }}) = 0 then 0::double precision
        else greatest(0::double precision, {{ bound }})
        {%- else %}
        when ({{ successes }}) = ({{ trials }}) then 1::double precision
        else least(1::double precision, {{ bound }})
        {%- endif %}
    end
{%- endmacro %}
