{#
    The relations whose `_loaded_at` stands for the inputs `unique_ids` (graph node ids) of a
    model: a table, an incremental model or a raw source as itself; a view through its own
    inputs. min(_loaded_at) is then read from an index, never by scanning a view over raw
    (the base views filter held batches, which no min/max shortcut sees through). A source
    without `loaded_at_field: _loaded_at` (the audit views) has no load time and is left out,
    and so is a seed (a model that reads one notices its changes itself, as the cost models
    do with rebuild_if_prices_changed()).
#}
{% macro _loaded_at_relations(unique_ids) -%}
    {%- set relations = [] -%}
    {%- for unique_id in unique_ids | unique -%}
        {%- set node = graph.nodes.get(unique_id) or graph.sources.get(unique_id) -%}
        {%- if node.resource_type == 'source' -%}
            {%- if node.loaded_at_field == '_loaded_at' -%}
                {%- do relations.append(api.Relation.create(
                    database=node.database, schema=node.schema, identifier=node.identifier
                )) -%}
            {%- endif -%}
        {%- elif node.resource_type == 'seed' -%}
        {%- elif node.config.materialized in ['view', 'ephemeral'] -%}
            {%- do relations.extend(_loaded_at_relations(node.depends_on.nodes)) -%}
        {%- else -%}
            {%- do relations.append(api.Relation.create(
                database=node.database, schema=node.schema, identifier=node.alias
            )) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(relations) }}
{%- endmacro %}
