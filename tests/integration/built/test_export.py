"""`forge-warehouse export`: marts and the training set to Parquet, read back, on a real build."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from psycopg import sql
from typer.testing import CliRunner

from analytics.export import export_relation
from cli.app import app
from core.exceptions import ForgeError
from core.settings import get_settings
from tests.built import Built

pytestmark = pytest.mark.integration


def _export(args: list[str]) -> Any:
    """The export command in this process, settings read afresh (WAREHOUSE_DSN: the test DB)."""
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["export", *args])
    finally:
        get_settings.cache_clear()


def _database_columns(dsn: str, name: str) -> list[tuple[str, str]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "select attname::text, format_type(atttypid, atttypmod) from pg_attribute "
            "where attrelid = %s::regclass and attnum > 0 and not attisdropped order by attnum",
            (f"marts.{name}",),
        ).fetchall()


def _database_rows(dsn: str, name: str, order_by: str) -> list[dict[str, Any]]:
    """The mart's rows as Python values, uuid and json as their text (as the export writes them)."""
    columns = _database_columns(dsn, name)
    select = sql.SQL("select {} from {} order by {}").format(
        sql.SQL(", ").join(
            sql.SQL("{}::text").format(sql.Identifier(column))
            if kind in ("uuid", "jsonb", "json")
            else sql.Identifier(column)
            for column, kind in columns
        ),
        sql.Identifier("marts", name),
        sql.SQL(order_by),
    )
    with psycopg.connect(dsn) as conn:
        conn.execute("set timezone = 'UTC'")
        cursor = conn.execute(select)
        names = [column.name for column in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-12) or (math.isnan(left) and math.isnan(right))
    return bool(left == right)


def test_the_training_set_exports_in_batches_and_reads_back_equal(
    built: Built, tmp_path: Path
) -> None:
    result = _export(["feedback_training_set", "--out", str(tmp_path), "--batch-rows", "7"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "exported marts.feedback_training_set" in result.output

    parquet = pq.ParquetFile(tmp_path / "feedback_training_set.parquet")
    table = parquet.read()
    expected = _database_rows(built.dsn, "feedback_training_set", "feedback_id")
    assert table.num_rows == len(expected) > 20
    # streamed: one row group per batch of 7 rows, never the whole table at once
    assert parquet.metadata.num_row_groups == math.ceil(len(expected) / 7)
    assert table.to_pylist() == expected

    schema = json.loads((tmp_path / "feedback_training_set.schema.json").read_text())
    assert schema["row_count"] == len(expected)
    assert schema["relation"] == "marts.feedback_training_set"
    assert schema["description"].startswith("One row per feedback")
    columns = _database_columns(built.dsn, "feedback_training_set")
    assert [(column["name"], column["postgres_type"]) for column in schema["columns"]] == columns
    assert all(column["description"] for column in schema["columns"])
    assert [column["name"] for column in schema["columns"]] == table.schema.names
    assert not [path.name for path in tmp_path.iterdir() if path.name.startswith(".")]


@pytest.mark.parametrize(
    ("mart", "order_by", "types"),
    [
        # uuid and jsonb as text, text[] as lists, integers and booleans as themselves
        (
            "fct_feedback",
            "feedback_id",
            {
                "feedback_id": pa.string(),
                "positive_aspects": pa.list_(pa.string()),
                "error_details": pa.string(),
                "overall_satisfaction": pa.int32(),
                "would_recommend": pa.bool_(),
            },
        ),
        # numeric(5,2) as a decimal, timestamptz in UTC microseconds, dates
        (
            "dim_projects",
            "project_outcome_id",
            {
                "test_pass_rate": pa.decimal128(5, 2),
                "created_at": pa.timestamp("us", tz="UTC"),
                "created_date": pa.date32(),
                "feedback_count": pa.int64(),
            },
        ),
        # doubles and nulls of the long metric table
        (
            "metric_values",
            "metric, grain, dimension nulls first, dimension_value nulls first, period_start",
            {"value": pa.float64(), "period_start": pa.date32(), "dimension": pa.string()},
        ),
    ],
)
def test_a_mart_exports_with_its_types_and_reads_back_equal(
    built: Built, tmp_path: Path, mart: str, order_by: str, types: dict[str, pa.DataType]
) -> None:
    result = export_relation(built.dsn, mart, tmp_path, batch_rows=1000)
    table = pq.read_table(result.parquet_path)
    for column, kind in types.items():
        assert table.schema.field(column).type == kind, column

    expected = _database_rows(built.dsn, mart, order_by)
    written = table.to_pylist()
    assert result.row_count == len(written) == len(expected) > 0
    # rows in the same order (the export orders by the primary key when there is one)
    if mart != "metric_values":
        assert written == expected
    else:
        key = ("metric", "grain", "dimension", "dimension_value", "period_start")

        def sort_key(row: dict[str, Any]) -> tuple[str, ...]:
            return tuple("" if row[name] is None else str(row[name]) for name in key)

        for left, right in zip(
            sorted(written, key=sort_key), sorted(expected, key=sort_key), strict=True
        ):
            assert all(_same(left[name], right[name]) for name in right), (left, right)


def test_an_unknown_name_is_one_sentence_and_exit_1(built: Built, tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "cli", "export", "no_such_mart", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "WAREHOUSE_DSN": built.dsn},
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert "error: there is no mart or training set named 'no_such_mart' to export" in output
    assert "feedback_training_set" in output, "the message lists what can be exported"
    assert "Traceback" not in output
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_directory_is_one_sentence(built: Built, tmp_path: Path) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("not a directory")
    with pytest.raises(ForgeError, match=r"cannot create the output directory .*Not a directory"):
        export_relation(built.dsn, "fct_feedback", a_file / "out")
    with pytest.raises(ForgeError, match="is a file, not a directory"):
        export_relation(built.dsn, "fct_feedback", a_file)


def test_a_failed_export_leaves_the_previous_one_and_no_partial_file(
    built: Built, tmp_path: Path
) -> None:
    name = "test_export_breaks_midway"
    with psycopg.connect(built.dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("create table {} (id integer primary key, at timestamptz)").format(
                sql.Identifier("marts", name)
            )
        )
    try:
        with psycopg.connect(built.dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("insert into {} values (1, '2026-01-01'), (2, '2026-01-02')").format(
                    sql.Identifier("marts", name)
                )
            )
        first = export_relation(built.dsn, name, tmp_path, batch_rows=1)
        before = first.parquet_path.read_bytes()
        # a value Python cannot hold, in the second batch: the first is already written
        with psycopg.connect(built.dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("update {} set at = 'infinity' where id = 2").format(
                    sql.Identifier("marts", name)
                )
            )
        with pytest.raises(ForgeError, match=f"reading marts.{name} failed"):
            export_relation(built.dsn, name, tmp_path, batch_rows=1)
        assert first.parquet_path.read_bytes() == before
        assert json.loads(first.schema_path.read_text())["row_count"] == 2
        assert sorted(path.name for path in tmp_path.iterdir()) == [
            f"{name}.parquet",
            f"{name}.schema.json",
        ]
    finally:
        with psycopg.connect(built.dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("drop table if exists {}").format(sql.Identifier("marts", name)))
