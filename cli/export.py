"""`forge-warehouse export NAME --out DIR`: a mart or a training set as Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from analytics.export import DEFAULT_BATCH_ROWS, export_relation
from cli import arguments
from cli.console import console
from core.settings import get_settings
from core.warehouse import prepare


def export(
    name: Annotated[
        str,
        typer.Argument(
            help="A mart or training set of the marts schema, e.g. feedback_training_set.",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            parser=arguments.output_dir,
            help="Directory to write NAME.parquet and NAME.schema.json.",
        ),
    ],
    batch_rows: Annotated[
        int,
        typer.Option(
            parser=arguments.batch_rows,
            help="Rows read and written per batch (one Parquet row group), 1 to 1,000,000.",
        ),
    ] = DEFAULT_BATCH_ROWS,
) -> None:
    """Write a mart or training set as Parquet, its schema and row count beside it."""
    dsn = prepare(get_settings())
    result = export_relation(dsn, name, out, batch_rows=batch_rows)
    console.print(
        f"exported marts.{result.name}: {result.row_count:,} rows to {result.parquet_path} "
        f"(schema {result.schema_path.name}) in {result.seconds:.1f} s"
    )
