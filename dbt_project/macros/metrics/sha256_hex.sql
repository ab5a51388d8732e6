{# Lowercase hex SHA-256 of a text expression's UTF-8 bytes (64 characters). #}
{% macro sha256_hex(text_expression) -%}
    encode(sha256(convert_to({{ text_expression }}, 'UTF8')), 'hex')
{%- endmacro %}
