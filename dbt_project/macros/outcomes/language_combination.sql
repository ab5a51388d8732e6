{#
    A select of (project_outcome_id, language_combination) from a relation or CTE of
    projects: the project's distinct languages, sorted and joined with ' + ' (so
    ['TypeScript', 'CSS'] and ['CSS', 'TypeScript'] are the one combination 'CSS +
    TypeScript'). Projects without a language have no row.
#}
{% macro language_combination(projects) -%}
    select
        {{ projects }}.project_outcome_id,
        string_agg(distinct project_language, ' + ' order by project_language)
            as language_combination,
        count(distinct project_language) as language_count
    from {{ projects }}
    cross join lateral unnest({{ projects }}.languages_used) as project_language
    where project_language is not null and project_language <> ''
    group by 1
{%- endmacro %}
