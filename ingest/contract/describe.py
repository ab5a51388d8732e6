"""The landing contract as Markdown, one table per entity, written from the contract in code.

The README's field tables are this module's output (between its `fields` markers), so they can
never say something the loader does not do: `python -m ingest.contract.describe --write
README.md` rewrites them, and a unit test fails when they drift.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from ingest.contract.entities import ENTITIES, Entity, Field, Kind
from ingest.contract.rules import NUMERIC_SHAPE

BEGIN = "<!-- fields:begin (written by python -m ingest.contract.describe; do not edit) -->"
END = "<!-- fields:end -->"
_BLOCK = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
# how a type reads in the table: what a sender writes in JSON
TYPE_NAMES = {
    Kind.SMALLINT: "integer",
    Kind.INTEGER: "integer (32-bit)",
    Kind.BIGINT: "integer (64-bit)",
    Kind.FLOAT: "number",
    Kind.NUMERIC_5_2: "decimal (5,2)",
    Kind.BOOLEAN: "boolean",
    Kind.UUID: "UUID",
    Kind.TIMESTAMP: "timestamp",
    Kind.TEXT: "text",
    Kind.TEXT_ARRAY: "array of text",
    Kind.JSON_OBJECT: "JSON object",
}


def rule(field: Field) -> str:
    """What a value of the field must be, beyond being present when required."""
    if field.choices is not None:
        return "one of " + ", ".join(f"`{choice}`" for choice in field.choices)
    if field.minimum is not None or field.maximum is not None:
        return f"{_number(field.minimum)} to {_number(field.maximum)}"
    if field.max_length is not None:
        return f"at most {field.max_length} characters"
    if field.kind in NUMERIC_SHAPE:
        digits, scale = NUMERIC_SHAPE[field.kind]
        return f"at most {digits} digits, {scale} after the point"
    if field.kind is Kind.TIMESTAMP:
        return "ISO 8601 (no offset: UTC), in the plausible-time window"
    if field.kind is Kind.JSON_OBJECT:
        return "kept exactly as received"
    if field.kind is Kind.TEXT_ARRAY:
        return "in CSV: the JSON array in the cell"
    return ""


def entity_table(entity: Entity) -> str:
    """`| field | type | required | rule |`, one row per field in the contract's order."""
    lines = [
        f"**`{entity.name}`** (key `{entity.key}`; "
        + ("mutable: a newer version replaces" if entity.mutable else "append-only")
        + ")",
        "",
        "| field | type | required | rule |",
        "|---|---|---|---|",
    ]
    for field in entity.fields:
        required = "yes" if field.required else ""
        kind = TYPE_NAMES[field.kind]
        lines.append(f"| `{field.name}` | {kind} | {required} | {rule(field)} |")
    return "\n".join(lines)


def fields_markdown() -> str:
    """Every entity's table, in the contract's order, between the markers."""
    tables = "\n\n".join(entity_table(entity) for entity in ENTITIES.values())
    return f"{BEGIN}\n{tables}\n{END}"


def rewrite(text: str) -> str:
    """`text` with its field tables replaced by the contract's; ValueError without markers."""
    if _BLOCK.search(text) is None:
        raise ValueError(f"no field tables between {BEGIN!r} and {END!r}")
    return _BLOCK.sub(lambda _: fields_markdown(), text)


def _number(value: float | None) -> str:
    if value is None:
        return "any"
    return str(int(value)) if float(value).is_integer() else str(value)


def main() -> None:
    """Print the tables, or rewrite them in place in a Markdown file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="a Markdown file holding the markers")
    args = parser.parse_args()
    if args.write is None:
        sys.stdout.write(fields_markdown() + "\n")
        return
    try:
        text = rewrite(args.write.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        parser.error(f"cannot rewrite {args.write}: {error}")
    args.write.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
