"""Every command and sub-command of the CLI, found from the typer app, given bad values: each
ends in one short sentence and a non-zero exit, never a traceback, before touching anything."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from cli import arguments
from cli.app import app, main
from core.settings import get_settings

# A value each of our parsers refuses; a parser without an entry here fails the test below.
PARSER_BAD = {
    arguments.as_of: "someday",
    arguments.data_end: "1999-12-31",
    arguments.input_dir: "",
    arguments.new_file: "{dir}",
    arguments.batch_rows: "99999999999999999999",
    arguments.days: "99999999999",
    arguments.limit: "0",
    arguments.sessions: "0",
    arguments.fraction: "nan",
    arguments.output_dir: "{file}/sub",
    arguments.output_file: "{file}/sub/report.html",
    arguments.libpq_dsn: "host=a b=",
    arguments.http_url: "ftp://dataforge.example",
    arguments.login_name: "Robert'); drop table students;--",
    arguments.duration: "soon",
    arguments.size: "big",
    arguments.names: " , ",
    arguments.filter_text: " ",
    arguments.host: "a b/c?d",
    arguments.day: "2025-13-01",
}
TYPE_BAD: dict[Any, str] = {int: "not-a-number", float: "not-a-number", dt.datetime: "someday"}
# valid values for required parameters, so that the error is about the bad one
REQUIRED = {
    "out": "{dir}",
    "source_dsn": "postgresql://forge@127.0.0.1:1/forge",
    "base_url": "http://127.0.0.1:1",
    "batch": "20250101T000000-abcdef01",
    "reason": "checked by hand",
    "directory": "{dir}",
    "name": "metabase",
    "metrics": "nps",
}


def _commands() -> Iterator[tuple[tuple[str, ...], Any]]:
    def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
        subcommands = getattr(command, "commands", {})
        if not subcommands or getattr(command, "invoke_without_command", False):
            yield path, command
        for name, sub in sorted(subcommands.items()):
            yield from walk(sub, (*path, name))

    yield from walk(typer.main.get_command(app), ())


COMMANDS = [(path, command) for path, command in _commands() if path]


def _parser(param: Any) -> Any:
    return getattr(param.type_descriptor.parameter_info, "parser", None)


def _required_args(command: Any, places: dict[str, str]) -> list[str]:
    argv: list[str] = []
    for param in command.params:
        if not param.required:
            continue
        value = REQUIRED[param.name].format(**places)
        argv += [value] if param.param_type_name == "argument" else [param.opts[0], value]
    return argv


def _bad_cases() -> Iterator[tuple[tuple[str, ...], str, str]]:
    for path, command in COMMANDS:
        for param in command.params:
            if param.param_type_name != "option" or getattr(param, "is_flag", False):
                continue
            parser = _parser(param)
            annotation = param.type_descriptor.annotation
            if parser is not None:
                assert parser in PARSER_BAD, f"no bad value for {parser.__name__}"
                yield path, param.opts[0], PARSER_BAD[parser]
            elif annotation in TYPE_BAD:
                yield path, param.opts[0], TYPE_BAD[annotation]
            elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
                yield path, param.opts[0], "no-such-choice"


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A folder and a regular file to point at; an unreachable warehouse, so that a command that
    wrongly got past its arguments fails fast instead of starting a database."""
    regular = tmp_path / "regular-file"
    regular.write_text("x")
    monkeypatch.setenv("WAREHOUSE_DSN", "postgresql://forge@127.0.0.1:1/forge")
    monkeypatch.setenv("FORGE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield {"dir": str(tmp_path), "file": str(regular)}
    get_settings.cache_clear()


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    """The exit code and what the command wrote to stderr (a failure writes nothing else)."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    captured = capsys.readouterr()
    code = exit_info.value.code
    code = code if isinstance(code, int) else 1
    if code != 0:  # the sentence is on stderr, never taken for a command's output
        assert captured.out == "", (argv, captured.out)
    return code, captured.err


def _assert_one_sentence(code: int, output: str, argv: list[str]) -> None:
    assert code != 0, argv
    assert "Traceback" not in output, (argv, output)
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), (argv, output)
    assert len(lines[0]) < 400, (argv, output)


def test_every_command_is_walked() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"ingest files", "rejects", "rejects accept", "generate", "build", "db up"} <= names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_an_unknown_option_or_a_surplus_argument_is_one_sentence(
    path: tuple[str, ...], command: Any, places: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    required = _required_args(command, places)
    for argv in (
        [*path, "--no-such-option", *required],
        [*path, *required, "surplus-argument"],
    ):
        code, output = _run(capsys, argv)
        _assert_one_sentence(code, output, argv)
        assert code == 2, (argv, output)


BAD = list(_bad_cases())


@pytest.mark.parametrize(
    ("path", "option", "value"), BAD, ids=[f"{' '.join(p)} {o} {v}" for p, o, v in BAD]
)
def test_a_bad_value_is_one_sentence_naming_the_option(
    path: tuple[str, ...],
    option: str,
    value: str,
    places: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    command = dict(COMMANDS)[path]
    argv = [*path, *_required_args(command, places), option, value.format(**places)]
    code, output = _run(capsys, argv)
    _assert_one_sentence(code, output, argv)
    assert code == 2 and option in output, (argv, output)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rejects", "--days", "99999999999"], "99999999999 is not between 1 and 36500"),
        (["generate", "--out", "{file}/sub"], "is a file, so {file}/sub cannot be created"),
        (["build", "--as-of", "yesterday-ish"], "use for example 2025-12-13"),
        (["ingest", "files", "/no/such/dir"], "landing directory /no/such/dir does not exist"),
        (["ingest", "files", "{file}"], "is not a directory"),
        (["rejects", "--entity", "nope"], "unknown entity nope"),
        (["rejects", "replay", "--entity", "nope"], "unknown entity nope"),
        (
            ["ingest", "postgres", "--source-dsn", "postgresql://u@h/d", "--entity", "nope"],
            "unknown entity nope",
        ),
        (
            ["ingest", "api", "--base-url", "http://h", "--entity", "orchestration_events"],
            "unknown entity orchestration_events",
        ),
        (["serve", "--port", "70000"], "--port"),
        # found by a review on 2026-12-07: each was a traceback, a Python error's name, a
        # silent success or an action on the current folder
        (["generate", "--out", "{dir}", "--now", "0001-01-01"], "is not between 2000-03-31"),
        (["demo", "--now", "9999-12-31"], "is not between 2000-03-31 and tomorrow"),
        (["build", "--as-of", "1999-12-31"], "is not between 2000-01-01 and tomorrow"),
        (["ingest", "files", ""], "an empty path"),
        (["export", "dim_metrics", "--out", ""], "an empty path"),
        (["report", "--out", ""], "an empty path"),
        (["ingest", "postgres", "--source-dsn", " "], "an empty connection string"),
        (["metrics", "query", "--metrics", "nps", "--csv", "{dir}"], "is a folder"),
        (
            [
                "metrics",
                "query",
                "--metrics",
                "nps",
                "--start-time",
                "2026-01-01",
                "--end-time",
                "2025-01-01",
            ],
            "is after --end-time",
        ),
        (["ingest", "files", "/no/\x1b[31mred"], "/no/\\x1b[31mred does not exist"),
        # found by a hostile-input review on 2026-12-07 (evening)
        (["rejects", "--entity", "nope", "replay"], "--entity before `replay` only filters"),
        (["rejects", "--days", "2", "accept"], "--days before `accept` only filters"),
        (["rejects", "--days", "\u0663"], "is not a whole number"),
        (["rejects", "--days", " 3 "], "is not a whole number"),
        (["rejects", "--entity", "\x1b[31mRED"], "unknown entity \\x1b[31mRED"),
        (["rejects", "--entity", "a" * 100_000], "...(100000 characters)..."),
        (["ingest", "files", "/" + "x" * 300], "file name too long"),
        (["metrics", "query", "--metrics", "nps", "--where", " "], "an empty filter"),
        (["metrics", "query", "--metrics", "nps", "--group-by", " , "], "names nothing"),
        (["metrics", "query", "--metrics", "nps", "--order", ","], "names nothing"),
    ],
)
def test_values_wrong_for_the_warehouse_are_one_sentence(
    argv: list[str], message: str, places: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [part.format(**places) for part in argv]
    code, output = _run(capsys, argv)
    _assert_one_sentence(code, output, argv)
    assert message.format(**places) in output, output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-12-13", dt.datetime(2025, 12, 13, tzinfo=dt.UTC)),
        ("2025-12-13T06:00:00Z", dt.datetime(2025, 12, 13, 6, tzinfo=dt.UTC)),
        ("2025-12-13T06:00:00", dt.datetime(2025, 12, 13, 6, tzinfo=dt.UTC)),
        ("2025-12-13T06:00:00+02:00", dt.datetime(2025, 12, 13, 4, tzinfo=dt.UTC)),
    ],
)
def test_as_of_reads_what_a_person_types(text: str, expected: dt.datetime) -> None:
    assert arguments.as_of(text) == expected


def test_as_of_today_and_yesterday_are_utc_midnights() -> None:
    today = arguments.as_of("today")
    assert today is not None and (today.hour, today.minute, today.tzinfo) == (0, 0, dt.UTC)
    assert arguments.as_of("Yesterday") == today - dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("WAREHOUSE_DSN", " ", "WAREHOUSE_DSN=<hidden>: an empty connection string"),
        ("WAREHOUSE_DSN", "not a dsn", "WAREHOUSE_DSN=<hidden>: not a valid libpq"),
        ("FORGE_BI_DSN", "garbage", "FORGE_BI_DSN=<hidden>: not a valid libpq"),
        ("FORGE_EMBEDDED_DATABASE", 'x"; drop database forge; --', "not a database name"),
        ("FORGE_EMBEDDED_DATABASE", "", "not a database name"),
        ("FORGE_HOME", "", "FORGE_HOME='': set but empty"),
        ("FORGE_HOME", "{file}", "is not a folder"),
        ("DAGSTER_HOME", "{file}/sub", "is not a folder"),
        ("FORGE_EARLIEST_TIMESTAMP", "9999-12-31T00:00:00Z", "is not in the past"),
    ],
)
def test_a_bad_setting_is_one_sentence_naming_its_variable_before_anything_runs(
    variable: str,
    value: str,
    message: str,
    places: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A setting checked where it is read, not where it is first used: the embedded server
    never creates a database named by a hostile value, a blank DSN is not libpq's defaults."""
    monkeypatch.setenv(variable, value.format(**places))
    get_settings.cache_clear()
    code, output = _run(capsys, ["db", "status"])
    _assert_one_sentence(code, output, ["db", "status"])
    assert f"invalid setting {variable}=" in output and message in output, output
