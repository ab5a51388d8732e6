{#
    The complexity band of a session, as the orchestration seed's
    v_feature_complexity_analysis draws it: simple < 3 <= medium < 7 <= complex.
    Null when the session has no score.
#}
{% macro complexity_category(score_column) -%}
    case
        when {{ score_column }} is null then null
        when {{ score_column }} < 3 then 'simple'
        when {{ score_column }} < 7 then 'medium'
        else 'complex'
    end
{%- endmacro %}
