{#
    Written from the semantic layer's own definitions (models/semantic/*.yml, through
    dbt's graph), never by hand: a metric added or renamed there shows up here on the next
    build. The trend block of a metric's meta says how metric_values carries it.
#}

{%- set metrics = [] -%}
{%- if execute -%}
    {%- for node in graph.metrics.values() | sort(attribute='name') -%}
        {%- do metrics.append(node) -%}
    {%- endfor -%}
{%- endif -%}

with

metric_definitions as (
    select *
    from (
        values
        {%- for node in metrics %}
        {%- set meta = node.config.meta or node.meta or {} %}
        {%- set trend = meta.get('trend') %}
        {%- set dimensions = (trend.get('dimensions') or {}) if trend else {} %}
        (
            {{ text_literal(node.name) }},
            {{ text_literal(node.label) }},
            {{ text_literal(node.description) }},
            {{ text_literal(node.type) }},
            {{ text_literal(meta.get('unit')) }},
            {{ 'true' if trend else 'false' }},
            array[
                {%- for name in dimensions | sort -%}
                {{ text_literal(name) }}{{ ", " if not loop.last }}
                {%- endfor -%}
            ]::text[],
            {{ text_literal(tojson(dimensions) if trend else none) }}::jsonb,
            {{ text_literal(trend.get('numerator') if trend else none) }},
            {{ text_literal(trend.get('denominator') if trend else none) }},
            {{ text_literal(trend.get('sample_size') if trend else none) }}
        ){{ "," if not loop.last }}
        {%- else %}
        (
            null::text, null::text, null::text, null::text, null::text, false,
            array[]::text[], null::jsonb, null::text, null::text, null::text
        )
        {%- endfor %}
    ) as metric_list (
        metric,
        label,
        description,
        metric_type,
        unit,
        is_trend,
        trend_dimensions,
        semantic_layer_group_by,
        numerator_metric,
        denominator_metric,
        sample_size_metric
    )
),

final as (
    select
        *,
        {{ as_of() }} as as_of
    from metric_definitions
    where metric is not null
)

select * from final
